/**
 * Kiln's syntax colours in CodeMirror, from Kiln's own Chevrotain lexer: every token the compiler
 * sees gets a class by its token type (keywords are the lexer's keyword tokens, so the editor can
 * never disagree with the parser about what a keyword is). Comments are skipped by the lexer, so
 * they are found in the gaps between tokens with the lexer's own comment pattern.
 */
import { RangeSetBuilder } from '@codemirror/state';
import { Decoration, ViewPlugin, type DecorationSet, type EditorView, type ViewUpdate } from '@codemirror/view';
import type { IToken } from 'chevrotain';
import { Comment, KEYWORDS, kilnLexer } from '../../compiler/lang/tokens.ts';

/** The class of a token: `kiln-` + keyword, op (a name called), name, number, unit, string, arrow; or none. */
export function tokenClass(tok: IToken, next: IToken | undefined): string | undefined {
  const type = tok.tokenType.name;
  // A keyword before `=` is an argument name (`mnist(train = 8000)`), as the parser reads it.
  if (KEYWORDS.includes(type.toLowerCase())) return next?.tokenType.name === 'Equals' ? 'kiln-name' : 'kiln-keyword';
  if (type === 'Identifier') return next?.tokenType.name === 'LParen' ? 'kiln-op' : 'kiln-name';
  return ({ NumberLiteral: 'kiln-number', Unit: 'kiln-unit', StringLiteral: 'kiln-string', Arrow: 'kiln-arrow' } as Record<string, string>)[type];
}

/** [from, to, class] spans of `text`, in order, comments included. */
export function highlightSpans(text: string): [number, number, string][] {
  const tokens = kilnLexer().tokenize(text).tokens;
  const spans: [number, number, string][] = [];
  const comments = (from: number, to: number) => {
    const re = new RegExp((Comment.PATTERN as RegExp).source, 'g');
    for (const m of text.slice(from, to).matchAll(re)) spans.push([from + m.index, from + m.index + m[0].length, 'kiln-comment']);
  };
  let at = 0;
  tokens.forEach((t, i) => {
    comments(at, t.startOffset);
    const cls = tokenClass(t, tokens[i + 1]);
    if (cls) spans.push([t.startOffset, t.endOffset! + 1, cls]);
    at = t.endOffset! + 1;
  });
  comments(at, text.length);
  return spans;
}

function decorate(view: EditorView): DecorationSet {
  const b = new RangeSetBuilder<Decoration>();
  for (const [from, to, cls] of highlightSpans(view.state.doc.toString())) b.add(from, to, Decoration.mark({ class: cls }));
  return b.finish();
}

/** Re-lexes the whole text on every change: .kiln files are small, and the lexer takes well under a millisecond per line. */
export const kilnHighlight = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = decorate(view);
    }
    update(u: ViewUpdate) {
      if (u.docChanged) this.decorations = decorate(u.view);
    }
  },
  { decorations: (v) => v.decorations },
);
