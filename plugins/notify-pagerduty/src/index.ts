// @hyperexport/notify-pagerduty: PagerDuty Events API v2: trigger on failure, resolve on the next success.
export {};
