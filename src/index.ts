/**
 * Root entry of the function app (loaded with `src/functions/*` through `main` in package.json). Kept
 * deliberately empty of work: the host indexes functions under a start-up time limit, so nothing heavy is
 * imported here. Once the app has started, the dependencies are warmed in the background so the first
 * invocation does not pay for loading the Azure SDKs, and a bad configuration shows up in the logs at start.
 */
import { app } from '@azure/functions';

app.hook.appStart(() => {
  void import('./app/dependencies.js')
    .then((m) => m.getAppDependencies())
    .catch((error: unknown) => {
      // Settings errors list setting names and accepted forms only, never values of secret settings.
      console.error(
        `fortiflex-scaler: configuration problem: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
});
