// @hyperexport/bandwidth: Cap export bandwidth with a shared token bucket and an rclone-style timetable.
export {};
