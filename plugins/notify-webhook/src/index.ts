// @hyperexport/notify-webhook: Generic webhooks signed the Standard Webhooks way.
export {};
