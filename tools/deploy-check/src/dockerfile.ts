/** One Dockerfile instruction, continuation lines joined. */
export interface DockerInstruction {
  instruction: string;
  args: string;
  /** The stage (its `AS` name, or its index) the instruction belongs to. */
  stage: string;
  line: number;
}

/**
 * Splits a Dockerfile into instructions: `\` continuations joined, comments and parser
 * directives dropped, each instruction tagged with its build stage.
 */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  const lines = text.split('\n');
  let stage = '';
  let stages = 0;
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let current = lines[i]!.trim();
    if (current === '' || current.startsWith('#')) continue;
    let continued = current.endsWith('\\');
    if (continued) current = current.slice(0, -1);
    while (continued && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#')) continue; // a comment inside a continued instruction
      continued = next.endsWith('\\');
      current += ` ${continued ? next.slice(0, -1) : next}`;
    }
    const match = /^(\S+)\s*(.*)$/s.exec(current);
    if (!match) continue;
    const instruction = match[1]!.toUpperCase();
    const args = match[2]!.replace(/\s+/g, ' ').trim();
    if (instruction === 'FROM') {
      const as = /\s+AS\s+(\S+)$/i.exec(args);
      stage = as ? as[1]! : String(stages);
      stages++;
    }
    out.push({ instruction, args, stage, line: start + 1 });
  }
  return out;
}

/** Go's filepath.Match with `**` (moby/patternmatcher), as a regular expression. */
function patternToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/**
 * True when `.dockerignore` keeps `path` (relative to the context, `/`-separated) out of the
 * build context: the last pattern matching the path or one of its parent folders decides,
 * `!pattern` putting it back (Docker's MatchesOrParentMatches).
 */
export function dockerignoreExcludes(dockerignore: string, path: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const body = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: patternToRegExp(body) };
    });
  const parts = path.replace(/^\.\//, '').split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const { negate, re } of patterns) {
    if (candidates.some((c) => re.test(c))) excluded = !negate;
  }
  return excluded;
}
