/**
 * `fortiflex-scaler validate --policy F [--json]`: checks a policy file without calling FortiFlex or Azure.
 * Exit 0 when it is valid (one summary line: rules, pools, schedules), 2 with every problem listed, each
 * line prefixed with the file name exactly as `plan` prints them. The deployment runs it before packaging
 * (scripts/stage-package.ts), so a missing or invalid policy fails the deploy instead of the running app.
 */
import type { Command } from 'commander';
import { printJson, type CliIo } from '../io';
import { formatPolicyCounts, readPolicyCheck, reportPolicyProblems } from '../policy-check';

interface ValidateOptions {
  policy: string;
  json?: boolean;
}

/** Builds the `validate` registrar; `readTextFile` is the seam tests may replace. */
export function createValidateRegistrar(
  readTextFile?: (path: string) => Promise<string>,
): (program: Command, io: CliIo) => void {
  return (program, io) => {
    program
      .command('validate')
      .description('check a policy file offline: exit 0 when valid, 2 with every problem listed')
      .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
      .option('--json', 'print JSON')
      .action(async (options: ValidateOptions) => {
        const check = await readPolicyCheck(options.policy, readTextFile);
        if (!check.valid) {
          // The problems go to stderr as `plan` prints them; with --json stdout carries them for scripts.
          if (options.json) printJson(io, { file: check.file, valid: false, problems: check.issues });
          throw reportPolicyProblems(check, io);
        }
        if (options.json) printJson(io, { file: check.file, valid: true, ...check.counts });
        else io.stdout(`${formatPolicyCounts(check.file, check.counts)}\n`);
      });
  };
}

/** Registers `validate`. */
export const register = createValidateRegistrar();
