/**
 * A reusable output buffer for building strings byte by byte, the way OpenSSL writes them, then decoding
 * once. Reused across calls because normalize() runs in bulk and each name would otherwise allocate.
 */
export class ByteSink {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;
  /** Whether any byte above 0x7f was written, i.e. whether UTF-8 decoding is needed at all. */
  private wide = false;

  reset(): void {
    this.length = 0;
    this.wide = false;
  }

  push(byte: number): void {
    if (this.length === this.buf.length) this.grow(1);
    if (byte > 0x7f) this.wide = true;
    this.buf[this.length++] = byte;
  }

  pushAscii(text: string): void {
    if (this.length + text.length > this.buf.length) this.grow(text.length);
    for (let i = 0; i < text.length; i++) this.buf[this.length++] = text.charCodeAt(i);
  }

  /** Appends the UTF-8 encoding of a code point; surrogates and values past U+10FFFF are dropped, as OpenSSL's UTF8_putc does. */
  pushCodePoint(cp: number): void {
    if (cp < 0x80) this.push(cp);
    else if (cp < 0x800) {
      this.push(0xc0 | (cp >> 6));
      this.push(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      if (cp >= 0xd800 && cp <= 0xdfff) return;
      this.push(0xe0 | (cp >> 12));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    } else if (cp < 0x110000) {
      this.push(0xf0 | (cp >> 18));
      this.push(0x80 | ((cp >> 12) & 0x3f));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    }
  }

  /** The bytes written, decoded as UTF-8 (invalid sequences become U+FFFD). */
  text(): string {
    return this.buf.toString(this.wide ? 'utf8' : 'latin1', 0, this.length);
  }

  private grow(extra: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}
