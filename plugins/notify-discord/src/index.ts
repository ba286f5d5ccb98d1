// @hyperexport/notify-discord: Discord webhook notifications.
export {};
