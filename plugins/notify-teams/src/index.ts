// @hyperexport/notify-teams: Microsoft Teams Workflows webhook notifications (Adaptive Card).
export {};
