// @hyperexport/notify-slack: Slack incoming-webhook notifications.
export {};
