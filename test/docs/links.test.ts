/**
 * Every link from README.md and docs/*.md to a file of the repository names a file that exists,
 * and every #anchor names a heading of the page it points into, slugged as GitHub slugs headings
 * (github-slugger: lower case; every character dropped but letters, marks, decimal digits, letter
 * numbers such as Ⅻ, connector punctuation such as `_`, `-` and the space, so ³ and ½ go; spaces
 * made hyphens; a repeated slug numbered -1, -2 …). Headings that carry a time stamp change when a
 * measurement is redone, and a link to the old one dies silently on GitHub.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';

const PAGES = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/**
 * The text GitHub renders as prose, line by line: fenced code blocks and HTML comments blanked
 * (their lines kept, so line numbers stay), since a `#` line or a link there is neither.
 */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  let comment = false;
  return text.split('\n').map((line) => {
    // A comment that starts a line is an HTML block, which runs to the end of the line that closes it.
    if (comment) {
      comment = !line.includes('-->');
      return '';
    }
    const open = /^\s*(`{3,}|~{3,})/.exec(line);
    if (open && (fence === undefined || open[1]!.startsWith(fence))) {
      fence = fence === undefined ? open[1] : undefined;
      return '';
    }
    if (fence !== undefined) return '';
    if (/^ {0,3}<!--/.test(line)) {
      comment = !line.slice(line.indexOf('<!--') + 4).includes('-->');
      return '';
    }
    line = line.replace(/<!--[\s\S]*?-->/g, '');
    const start = line.indexOf('<!--');
    if (start >= 0) {
      comment = true;
      line = line.slice(0, start);
    }
    return line;
  });
}

/** A heading's text as GitHub renders it before slugging: code spans, links and emphasis unwrapped. */
function rendered(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim();
}

function slug(heading: string): string {
  return rendered(heading).toLowerCase().replace(/[^\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors a page offers: its headings' slugs (repeats numbered) and any `<a id|name="…">`. */
function anchorsOf(text: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(a[1]!);
  }
  return out;
}

/**
 * A link's destination as CommonMark reads it: `<…>` (spaces allowed) or a bare run without spaces
 * (one level of balanced parentheses), then an optional "title", 'title' or (title).
 */
const LINK = /\]\(\s*(?:<([^<>\n]*)>|((?:[^\s()<>]|\([^\s()]*\))+))(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)/g;

/** Links of a page to a repository file or an anchor: [text](target) outside code, with their line. */
function localLinks(text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  proseLines(text).forEach((line, i) => {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(LINK)) {
      const target = m[1] ?? m[2]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ target, line: i + 1 });
    }
  });
  return out;
}

const texts = new Map(PAGES.map((p) => [p, readFileSync(path.join(repoRoot, p), 'utf8')]));
const anchorCache = new Map<string, Set<string>>();
function anchors(page: string): Set<string> {
  if (!anchorCache.has(page)) anchorCache.set(page, anchorsOf(texts.get(page) ?? readFileSync(path.join(repoRoot, page), 'utf8')));
  return anchorCache.get(page)!;
}

/** What is wrong with one link from `page`, or undefined when it resolves. */
function deadLink(page: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const file = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const to = file === '' ? page : path.normalize(path.join(path.dirname(page), file));
  if (to.startsWith('..')) return `${target} leaves the repository`;
  if (!existsSync(path.join(repoRoot, to))) return `${target}: no file ${to}`;
  if (anchor === undefined || !to.endsWith('.md')) return undefined;
  return anchors(to).has(anchor) ? undefined : `${target}: no heading of ${to} has the anchor #${anchor}`;
}

describe('docs links', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug("In the BNN paper's terms (bench/binary-run.ts, 2026-12-07 17:42–17:52, load average 5–15)"))
      .toBe('in-the-bnn-papers-terms-benchbinary-runts-2026-12-07-17421752-load-average-515');
    expect(slug('`kiln estimate --report`: the **HTML** page')).toBe('kiln-estimate---report-the-html-page');
    expect(slug('Energy at batch 1 (µJ)')).toBe('energy-at-batch-1-µj');
    // Other_Number (superscripts, fractions) is dropped; decimal digits stay (docs/benchmarks.md has such a heading).
    expect(slug('int16 / int8 at 512³ and 1024³ (issue 15)')).toBe('int16--int8-at-512-and-1024-issue-15');
    expect(slug('½ of Ⅻ')).toBe('-of-ⅻ');
    expect([...anchorsOf('# Notes\n## Notes\n```\n# not a heading\n```\n### Notes')]).toEqual(['notes', 'notes-1', 'notes-2']);
    // Nor is a `#` line inside an HTML comment or a ~~~ fence a heading.
    expect([...anchorsOf('<!--\n## hidden\n-->\n## Shown <!-- ## inline -->\n~~~md\n## fenced\n~~~\n<!-- one line --> ## text')]).toEqual(['shown']);
  });

  it('finds links outside code only', () => {
    const text = 'see [a](a.md#x) and `[b](b.md)`\n```\n[c](c.md)\n```\n[web](https://example.com) [self](#y)';
    expect(localLinks(text)).toEqual([{ target: 'a.md#x', line: 1 }, { target: '#y', line: 5 }]);
  });

  it('reads links with a title and <…> targets with spaces, and none in an HTML comment', () => {
    const text = '[a](a.md "t") [b](b.md \'t\') [c](c.md (t)) [d](<d e.md#f> "t") [g](g_(1).md)\n<!-- [h](h.md) -->';
    expect(localLinks(text).map((l) => l.target)).toEqual(['a.md', 'b.md', 'c.md', 'd e.md#f', 'g_(1).md']);
  });

  it('every link of README.md and docs/*.md to a file or a heading resolves', () => {
    const dead: string[] = [];
    for (const [page, text] of texts) {
      for (const { target, line } of localLinks(text)) {
        const why = deadLink(page, target);
        if (why) dead.push(`${page}:${line}: ${why}`);
      }
    }
    // Guards the checker itself: the pages do link to one another and into headings.
    expect(texts.size).toBeGreaterThan(10);
    expect([...texts.values()].flatMap((t) => localLinks(t)).filter((l) => l.target.includes('#')).length).toBeGreaterThan(20);
    expect(dead).toEqual([]);
  });
});
