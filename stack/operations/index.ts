// Operations: the functions, their EventBridge rules, DLQs and schedules, the on-call topic, alarms and the
// dashboard (operations.ts wires them; the pure modules beside it say what each is and why).
export { operations } from "./operations.js";
