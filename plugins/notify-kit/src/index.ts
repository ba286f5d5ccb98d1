// @hyperexport/notify-kit: Shared pieces of the notify-* plugins: event selection, message summary, HTTP delivery with retries.
export {};
