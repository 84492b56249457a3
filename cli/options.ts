// The commands (the package's `aspnet-webfarm` bin, and the repository's `npm run local`, `plan`, `disruption:table`) each declare their
// options once, in a table: the parser and the --help text are both derived from it, so they cannot drift.
import { parseArgs } from "util";

export interface CliOption {
  /** "string" takes a value, "boolean" is a flag. */
  type: "string" | "boolean";
  /** The value's placeholder in the help ("<n>"). */
  value?: string;
  /** The default, as the help shows it; the command reads it from here too where it is a literal. */
  default?: string;
  help: string;
}

export interface CliCommand {
  /** How it is called: "npm run local -- [options]". */
  usage: string;
  /** What it does: one paragraph, wrapped to the help's width. */
  summary: string;
  options: Record<string, CliOption>;
  examples: string[];
}

/** True when the command line asks for the help (checked before anything else is parsed). */
export const wantsHelp = (args: string[]) => args.includes("--help") || args.includes("-h");

/** The help's width: it reads in an 80-column terminal. */
const WIDTH = 100;

/** Words in lines of at most `width` characters (a longer word keeps its own line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The --help text: usage, what it does, every option with its default, examples. */
export function helpText(command: CliCommand): string {
  const rows = Object.entries(command.options).map(([name, o]) => [
    `  --${name}${o.value ? ` ${o.value}` : ""}`,
    `${o.help}${o.default !== undefined ? ` (default: ${o.default})` : ""}`,
  ]);
  rows.push(["  --help, -h", "this text"]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `usage: ${command.usage}`,
    "",
    ...wrap(command.summary.replace(/\n/g, " "), WIDTH),
    "",
    "options:",
    ...rows.flatMap(([left, right]) =>
      wrap(right, WIDTH - width).map((line, i) => (i === 0 ? left.padEnd(width) : " ".repeat(width)) + line),
    ),
    "",
    "examples:",
    ...command.examples.map((e) => `  ${e}`),
  ].join("\n");
}

type Values<T extends CliCommand> = {
  [K in keyof T["options"]]?: T["options"][K]["type"] extends "boolean" ? boolean : string;
};

/**
 * The command line's values, and every problem with it (an unknown option, a missing value, a stray argument),
 * each named, so the caller can report them in one error with its own checks.
 */
export function parseCli<T extends CliCommand>(command: T, args: string[]): { values: Values<T>; problems: string[] } {
  const { values, tokens } = parseArgs({
    args,
    options: Object.fromEntries(Object.entries(command.options).map(([name, o]) => [name, { type: o.type }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const problems: string[] = [];
  // An unknown option's value (`--colour red`) is part of that one problem.
  let unknownTakesNext = false;
  for (const t of tokens) {
    const afterUnknown = unknownTakesNext;
    unknownTakesNext = false;
    if (t.kind === "positional" && !afterUnknown) problems.push(`unexpected argument ${JSON.stringify(t.value)}`);
    if (t.kind !== "option") continue;
    const option = command.options[t.name];
    if (!option) {
      problems.push(`${t.rawName} is not an option (--help lists them)`);
      unknownTakesNext = t.value === undefined;
    } else if (option.type === "string" && (t.value === undefined || (!t.inlineValue && t.value.startsWith("--"))))
      problems.push(`${t.rawName} needs a value`);
    else if (option.type === "boolean" && t.inlineValue) problems.push(`${t.rawName} takes no value`);
  }
  return { values: values as Values<T>, problems };
}

/** The diff's own options (after --stack), the same for `npx aspnet-webfarm diff` and `npm run plan:diff`. */
export const DIFF_OPTIONS = {
  against: {
    type: "string",
    value: "<file>",
    default: "plans/<stack>.json as committed at HEAD",
    help: "compare with this plan file instead (plans/<stack>.json of another checkout)",
  },
  "approve-security": { type: "boolean", help: "security-widening changes read and accepted: exit 0 for them" },
  "approve-disruption": { type: "boolean", help: "disruptive changes read and accepted: exit 0 for them" },
} as const;
