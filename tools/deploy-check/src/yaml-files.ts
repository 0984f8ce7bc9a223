import { readFileSync } from 'node:fs';
import { parseAllDocuments, parseDocument } from 'yaml';
import { DeployCheckError } from './errors.ts';

/**
 * Parses one YAML document. `<<` merge keys are resolved (docker compose understands them), and
 * any parse error or warning fails with DEPLOY_CHECK_YAML_INVALID naming the file.
 */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { merge: true, prettyErrors: true, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_YAML_INVALID',
      `${source}: ${problems.map((p) => p.message).join('; ')}`,
      { source },
    );
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

/** Parses a file of one or more YAML documents (`---`), skipping empty ones. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text, {
    merge: true,
    prettyErrors: true,
    uniqueKeys: true,
  })) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) {
      throw new DeployCheckError(
        'DEPLOY_CHECK_YAML_INVALID',
        `${source}: ${problems.map((p) => p.message).join('; ')}`,
        { source },
      );
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Reads and parses one YAML file. */
export function readYaml(file: string): unknown {
  return parseYaml(readFileSync(file, 'utf8'), file);
}

/** Reads and parses a multi-document YAML file. */
export function readYamlDocuments(file: string): unknown[] {
  return parseYamlDocuments(readFileSync(file, 'utf8'), file);
}

/** Narrows unknown to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
