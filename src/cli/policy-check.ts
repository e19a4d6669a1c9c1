/**
 * Checking a policy file, shared by every command that reads one and by the deployment's package staging: the
 * problems of an invalid policy are listed on stderr, one per line prefixed with the file name, and the command
 * exits 2.
 */
import { readFile } from 'node:fs/promises';
import { parsePolicy, PolicyError, type Policy, type PolicyIssue } from '../lib/rules';
import { UsageError, type CliIo } from './io';

/** What a valid policy contains, as `validate` reports it. */
export interface PolicyCounts {
  rules: number;
  pools: number;
  schedules: number;
}

/** The outcome of checking one policy text. */
export type PolicyCheck =
  | { valid: true; file: string; policy: Policy; counts: PolicyCounts }
  | { valid: false; file: string; issues: PolicyIssue[] };

/** Counts the rules, pools and schedules of a parsed policy. */
export function policyCounts(policy: Policy): PolicyCounts {
  return {
    rules: policy.rules.length,
    pools: policy.pools.length,
    schedules: Object.keys(policy.schedules).length,
  };
}

/** Checks policy text (YAML or JSON) named `file`; never throws for an invalid policy. */
export function checkPolicyText(text: string, file: string): PolicyCheck {
  try {
    const policy = parsePolicy(text, file);
    return { valid: true, file, policy, counts: policyCounts(policy) };
  } catch (error) {
    if (error instanceof PolicyError) return { valid: false, file, issues: error.issues };
    throw error;
  }
}

/** The one-line summary of a valid policy, e.g. `scaler.policy.yaml: valid, 2 rules, 1 pool, 3 schedules`. */
export function formatPolicyCounts(file: string, counts: PolicyCounts): string {
  const n = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
  return `${file}: valid, ${n(counts.rules, 'rule')}, ${n(counts.pools, 'pool')}, ${n(counts.schedules, 'schedule')}`;
}

/** Reads `file` and checks it; an unreadable file is a {@link UsageError} naming the error code. */
export async function readPolicyCheck(
  file: string,
  readTextFile: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): Promise<PolicyCheck> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (error) {
    throw new UsageError(
      `--policy ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return checkPolicyText(text, file);
}

/**
 * Writes each problem of an invalid policy to `io.stderr` (`<file>: <path>: <message>`, as `plan` does) and
 * returns the {@link UsageError} naming the count (exit 2).
 */
export function reportPolicyProblems(check: Extract<PolicyCheck, { valid: false }>, io: CliIo): UsageError {
  for (const issue of check.issues) io.stderr(`${check.file}: ${issue.path}: ${issue.message}\n`);
  const count = check.issues.length;
  return new UsageError(
    `${check.file}: invalid policy, ${count} problem${count === 1 ? '' : 's'} (listed above)`,
  );
}

/** Reads and checks the policy file; throws (after listing the problems) unless it is valid. */
export async function validatePolicyFile(
  file: string,
  io: CliIo,
  readTextFile?: (path: string) => Promise<string>,
): Promise<Extract<PolicyCheck, { valid: true }>> {
  const check = await readPolicyCheck(file, readTextFile);
  if (!check.valid) throw reportPolicyProblems(check, io);
  return check;
}
