/**
 * Where JSON text goes wrong. Node 20's JSON.parse reports a position for some
 * errors and not others ("Unexpected token 'x', ... is not valid JSON"), so a
 * failed parse is scanned again here to point at line and column. Runs only on
 * the error path.
 */

export interface TextPosition {
  offset: number;
  line: number;
  column: number;
}

/** Line and column (both 1-based) of a character offset. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/** The offset of the first character that makes `text` invalid JSON, or undefined if it is valid. */
export function jsonErrorOffset(text: string): number | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    scanner.space();
    if (scanner.pos < text.length) return scanner.pos;
    return undefined;
  } catch (err) {
    // Anything else (a stack overflow on absurd nesting) just means no position to show.
    return err instanceof ScanError ? err.offset : undefined;
  }
}

class ScanError extends Error {
  constructor(readonly offset: number) {
    super(`invalid JSON at ${offset}`);
  }
}

const LITERALS = ['true', 'false', 'null'];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_CHUNK = /[^"\\\u0000-\u001f]*/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  space(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] ?? '')) this.pos++;
  }

  value(): void {
    this.space();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"') return this.string();
    for (const literal of LITERALS) {
      if (this.text.startsWith(literal, this.pos)) {
        this.pos += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = this.pos;
    if (NUMBER.test(this.text)) {
      this.pos = NUMBER.lastIndex;
      return;
    }
    throw new ScanError(this.pos);
  }

  private expect(ch: string): void {
    this.space();
    if (this.text[this.pos] !== ch) throw new ScanError(this.pos);
    this.pos++;
  }

  private object(): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') throw new ScanError(this.pos);
      this.string();
      this.expect(':');
      this.value();
      this.space();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return;
      }
      this.expect(',');
    }
  }

  private array(): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      this.space();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return;
      }
      this.expect(',');
    }
  }

  private string(): void {
    this.pos++;
    for (;;) {
      STRING_CHUNK.lastIndex = this.pos;
      STRING_CHUNK.test(this.text);
      this.pos = STRING_CHUNK.lastIndex;
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.pos++;
        return;
      }
      if (ch !== '\\') throw new ScanError(this.pos);
      ESCAPE.lastIndex = this.pos;
      if (!ESCAPE.test(this.text)) throw new ScanError(this.pos);
      this.pos = ESCAPE.lastIndex;
    }
  }
}
