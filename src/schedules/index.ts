export { ScheduleRunner, type RunListFn } from './runner.js';
export { addSchedule, getSchedule, listSchedules, removeSchedule, type ScheduleView } from './schedules.js';
export { windowEndsAt } from './window.js';
export { TriggeredListsRunner } from './triggered.js';
export { CronJob } from './daily.js';
export { scheduleStore, type ScheduleStore } from './store.js';
