export { createApi, type ApiOptions } from "./app";
export type { StatusReport } from "./status-report";
export { taskToJson, type TaskJson } from "./task-json";
