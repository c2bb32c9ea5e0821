export { DEFAULT_SCHEDULE_POLL_MS, ScheduleRunner, type RunListFn, type ScheduleRunnerOptions } from './runner.js';
export {
  activeSchedules,
  addSchedule,
  getSchedule,
  listSchedules,
  markListDone,
  removeSchedule,
  ScheduleInput,
  type ScheduleRow,
  type ScheduleView,
} from './store.js';
export { describeWindow, latestOccurrence, nextOccurrence, windowEndsAt, type ScheduleTiming } from './window.js';
export { TriggeredListsRunner, type TriggeredListsRunnerOptions } from './triggered.js';
export { CronJob, type CronJobOptions } from './daily.js';
