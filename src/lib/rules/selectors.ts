/**
 * Which rules manage which entitlements. A rule's selector matches an entitlement when ANY of its keys match
 * (config id, serial number, description prefix, folder path) and NONE of its `exclude` keys match: excludes
 * always win.
 *
 * Folder paths: FortiFlex reports no folder for an entitlement (`folderPath` is only accepted at creation), so
 * folder selectors match against an optional caller-supplied map `serialNumber → folderPath` (for example
 * kept by the pool code that created the entitlement). A folder selector matches the folder itself and every
 * folder below it (`My Assets/Lab` matches `My Assets/Lab/Berlin`). Without a map entry a folder selector
 * never matches; {@link RuleIndex.folderSelectorsWithoutMap} tells callers to warn about that.
 *
 * Switched entitlements: while the scaler has moved an entitlement to its off-hours config, it still belongs
 * to the rule that selected its original config, so config ids are matched against both the current config
 * and the remembered original.
 */
import type { Entitlement } from '../fortiflex/types';
import type { Rule, SelectorKeys } from './types';

/** What the selector needs to know about one entitlement besides the API fields. */
export interface SelectionContext {
  /** Config id the entitlement had before the scaler switched it to an off-hours config. */
  originalConfigId?: number;
  /** Asset folder of the entitlement, when known. */
  folderPath?: string;
}

/** Precomputed lookup structure: built once per run, queried once per entitlement. */
export interface RuleIndex {
  /** Indices (policy order) of the rules selecting `entitlement`, after excludes. */
  match(entitlement: Entitlement, context?: SelectionContext): number[];
  /** True when some rule selects by folder but the caller supplied no folder map. */
  readonly folderSelectorsWithoutMap: boolean;
}

interface CompiledKeys {
  configIds: Set<number>;
  serials: Set<string>;
  prefix?: string;
  folder?: string;
}

function compileKeys(keys: SelectorKeys | undefined): CompiledKeys {
  return {
    configIds: new Set(keys?.configIds ?? []),
    serials: new Set(keys?.serialNumbers ?? []),
    prefix: keys?.descriptionPrefix || undefined,
    folder: keys?.folderPath ? normalizeFolder(keys.folderPath) : undefined,
  };
}

function normalizeFolder(path: string): string {
  return path.trim().replace(/\/+$/, '');
}

/** True when `folder` is `selector` or lies below it. */
export function folderMatches(selector: string, folder: string | undefined): boolean {
  if (folder === undefined) return false;
  const normalized = normalizeFolder(folder);
  const wanted = normalizeFolder(selector);
  return normalized === wanted || normalized.startsWith(`${wanted}/`);
}

function keysMatch(keys: CompiledKeys, e: Entitlement, context: SelectionContext | undefined): boolean {
  if (keys.configIds.has(e.configId)) return true;
  if (context?.originalConfigId !== undefined && keys.configIds.has(context.originalConfigId)) return true;
  if (keys.serials.has(e.serialNumber)) return true;
  if (keys.prefix !== undefined && (e.description ?? '').startsWith(keys.prefix)) return true;
  if (keys.folder !== undefined && folderMatches(keys.folder, context?.folderPath)) return true;
  return false;
}

/**
 * The obvious selector check of one rule against one entitlement. {@link buildRuleIndex} gives the same
 * answers for all rules at once; this form is the reference it is tested and benchmarked against.
 */
export function ruleSelects(rule: Rule, entitlement: Entitlement, context?: SelectionContext): boolean {
  return (
    keysMatch(compileKeys(rule.select), entitlement, context) &&
    !keysMatch(compileKeys(rule.select.exclude), entitlement, context)
  );
}

/**
 * Indexes the rules' selectors: config ids and serial numbers by hash lookup, description prefixes and
 * folders by a scan of the (few) rules using them. `hasFolderMap` says whether the caller knows folders.
 */
export function buildRuleIndex(rules: readonly Rule[], hasFolderMap = false): RuleIndex {
  const byConfig = new Map<number, number[]>();
  const bySerial = new Map<string, number[]>();
  const scanned: number[] = [];
  const includes = rules.map((rule) => compileKeys(rule.select));
  const excludes = rules.map((rule) => compileKeys(rule.select.exclude));
  const hasExclude = excludes.map(
    (keys) =>
      keys.configIds.size > 0 ||
      keys.serials.size > 0 ||
      keys.prefix !== undefined ||
      keys.folder !== undefined,
  );
  const push = <K>(map: Map<K, number[]>, key: K, index: number): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [index]);
    else if (list[list.length - 1] !== index) list.push(index);
  };
  let usesFolders = false;
  includes.forEach((keys, index) => {
    for (const id of keys.configIds) push(byConfig, id, index);
    for (const serial of keys.serials) push(bySerial, serial, index);
    if (keys.prefix !== undefined || keys.folder !== undefined) scanned.push(index);
    if (keys.folder !== undefined) usesFolders = true;
  });
  if (excludes.some((keys) => keys.folder !== undefined)) usesFolders = true;

  return {
    folderSelectorsWithoutMap: usesFolders && !hasFolderMap,
    match(e, context) {
      // Candidate lists are tiny (a handful of rules), so an array with linear dedupe beats a Set here.
      const candidates: number[] = [];
      const add = (list: readonly number[] | undefined): void => {
        if (list === undefined) return;
        for (const index of list) if (!candidates.includes(index)) candidates.push(index);
      };
      add(byConfig.get(e.configId));
      if (context?.originalConfigId !== undefined) add(byConfig.get(context.originalConfigId));
      add(bySerial.get(e.serialNumber));
      for (const index of scanned) {
        if (candidates.includes(index)) continue;
        const keys = includes[index]!;
        if (
          (keys.prefix !== undefined && (e.description ?? '').startsWith(keys.prefix)) ||
          (keys.folder !== undefined && folderMatches(keys.folder, context?.folderPath))
        ) {
          candidates.push(index);
        }
      }
      const result = candidates.filter(
        (index) => !hasExclude[index] || !keysMatch(excludes[index]!, e, context),
      );
      return result.length > 1 ? result.sort((a, b) => a - b) : result;
    },
  };
}
