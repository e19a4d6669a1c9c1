// Public surface of the pure rules engine. One `export *` line per module.
export * from './types';
export * from './policy';
export * from './schema';
export * from './schedule';
export * from './billing';
export * from './time';
export * from './spans';
export * from './holidays';
export * from './selectors';
export * from './planner';
export * from './forecast';
export * from './advice';
export * from './svg';
export * from './svg-draw';
export * from './timeline';
export * from './schedule-walk';
export * from './run-schedule';
