/**
 * Vitest global setup: one in-memory Azurite for the whole run. Tests read its connection string with
 * `inject('azuriteConnectionString')` and isolate themselves by using unique table/container/queue names.
 */
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startAzurite } from '../../src/dev/azurite';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azuriteConnectionString', azurite.connectionString);
  return azurite.stop;
}
