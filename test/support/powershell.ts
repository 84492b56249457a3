// Checks on generated PowerShell that need no PowerShell (none runs here).

/** Delimiters balance outside single-quoted strings: catches a broken template, not a full parse. */
export function balanced(script: string): boolean {
  // Whole-line comments first (they may hold an apostrophe), then strings, then trailing comments.
  const body = script
    .replace(/^\s*#.*$/gm, "")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/#.*$/gm, "");
  const pairs: Record<string, string> = { "(": ")", "{": "}", "[": "]" };
  const stack: string[] = [];
  for (const ch of body) {
    if (pairs[ch]) stack.push(pairs[ch]);
    else if (Object.values(pairs).includes(ch) && stack.pop() !== ch) return false;
  }
  return stack.length === 0 && !/"/.test(body.replace(/"[^"\r\n]*"/g, ""));
}
