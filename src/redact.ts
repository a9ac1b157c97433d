// Every secret value and token vaultenv learns is registered here, and every line vaultenv writes
// passes through `redact` on its way out (log.ts, cli/main.ts). This is the second line of defence:
// messages are built from names and paths in the first place.

const MIN_REDACTED_LENGTH = 4; // shorter values ("1", "on") would mangle ordinary words and leak little

export class Redactor {
  private readonly values = new Set<string>();

  add(value: string): void {
    if (value.length >= MIN_REDACTED_LENGTH) this.values.add(value);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a value containing another value is replaced whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      out = out.split(value).join('<redacted>');
    }
    return out;
  }
}
