// @hyperexport/notify-email: Email notifications over SMTP (nodemailer).
export {};
