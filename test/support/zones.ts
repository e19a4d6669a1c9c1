/**
 * The time zones the property tests draw from: the scaler's home zone, both US coasts, a southern-hemisphere
 * zone whose DST runs opposite to Europe's, and a half-hour offset without DST. Each is tested on both of its
 * DST days in test/lib/rules/schedule-dst.test.ts.
 */
export const PROPERTY_ZONES: readonly string[] = [
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'Australia/Sydney',
  'Asia/Kolkata',
];
