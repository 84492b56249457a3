// A small reader of the Terraform provider's Go source, for the disruption table
// (disruptionTable.ts): schema maps, their entries and the markers that say an attribute replaces
// its resource. Text in, names out; it compiles nothing.

/** Index just past the brace matching the one at `open`, skipping strings, runes and comments. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "`") {
      i = text.indexOf("`", i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      i = text.indexOf("\n", i);
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i) + 1;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
    if (i < 0) break;
  }
  return text.length;
}

const MAP_START = /map\[string\](?:\*schema\.Schema|schema\.Attribute|schema\.Block)\{/g;
const ENTRY = /(?:^|[\s{,])("([a-z0-9_]+)"|names\.(Attr\w+))\s*:\s*([^,{}\n]*?)\{/g;
const REPLACES = /ForceNew:\s*true|\bRequiresReplace\(\)|RequiresReplaceIfConfigured\(\)/;
const REPLACES_IF = /RequiresReplaceIf\w*\(|RequiresReplaceWhen\w*\(/;

interface GoAttribute {
  /** snake_case name, or the names.AttrX constant's X. */
  name: string;
  path: string[];
  replaces: "always" | "conditional" | undefined;
}

/** Every attribute of the schema maps in `text`, with its path of enclosing attributes. */
export function goAttributes(text: string, prefix: string[] = []): GoAttribute[] {
  const out: GoAttribute[] = [];
  for (let from = 0; ;) {
    MAP_START.lastIndex = from;
    const m = MAP_START.exec(text);
    if (!m) break;
    const open = m.index + m[0].length - 1;
    const close = matchBrace(text, open);
    out.push(...mapEntries(text.slice(open + 1, close - 1), prefix));
    from = close;
  }
  return out;
}

function mapEntries(body: string, prefix: string[]): GoAttribute[] {
  const out: GoAttribute[] = [];
  let i = 0;
  while (i < body.length) {
    ENTRY.lastIndex = i;
    const m = ENTRY.exec(body);
    if (!m) break;
    const name = m[2] ?? m[3].replace(/^Attr/, "");
    const open = m.index + m[0].length - 1;
    const close = matchBrace(body, open);
    const inner = body.slice(open + 1, close - 1);
    // The entry's own code: its body without string literals (descriptions) and nested attribute maps.
    let own = inner;
    for (const nested of inner.matchAll(MAP_START)) {
      const start = nested.index!;
      own = own.replace(inner.slice(start, matchBrace(inner, start + nested[0].length - 1)), "");
    }
    own = own.replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""');
    const path = [...prefix, name];
    out.push({
      name,
      path,
      replaces: REPLACES.test(own) ? "always" : REPLACES_IF.test(own) ? "conditional" : undefined,
    });
    out.push(...goAttributes(inner, path));
    i = close;
  }
  // Entries whose value is a call (names.AttrTags: tftags.TagsSchema()): attributes whose schema is
  // elsewhere; none of the kit's types has a replacing one (checked by hand, see the report).
  let level = body;
  for (let open = level.indexOf("{"); open >= 0; open = level.indexOf("{")) {
    const close = matchBrace(level, open);
    level = level.slice(0, open) + " ".repeat(close - open) + level.slice(close);
  }
  for (const m of level.matchAll(/(?:^|[\s,])(?:"([a-z0-9_]+)"|names\.(Attr\w+))\s*:\s*[\w.]+\(/g))
    out.push({
      name: m[1] ?? m[2].replace(/^Attr/, ""),
      path: [...prefix, m[1] ?? m[2].replace(/^Attr/, "")],
      replaces: undefined,
    });
  return out;
}

/** Attributes a CustomizeDiff forces new (customdiff.ForceNewIf..., d.ForceNew("x")): conditional. */
export function customizeDiffForceNew(text: string): string[] {
  return [...text.matchAll(/ForceNew(?:If\w*)?\(\s*(?:"([a-z0-9_.]+)"|names\.Attr(\w+))/g)].map((m) =>
    (m[1] ?? m[2]).replace(/\.\d+(?=\.|$)/g, ""),
  );
}
