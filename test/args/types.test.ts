// One definition per argument: the zod schema (components/args/schema.ts). The public interfaces
// that schema inference reads are generated from it and committed; this keeps them in step.
import { readFileSync } from "fs";
import { argsSchema } from "../../components";
import { DOCS } from "../../components/args/problems";
import { GROUP_TYPES_FILE, generatedArgsTypes, TYPES_FILE } from "../../tools/scripts/argsTypes";
import { memberDocs } from "../../tools/scripts/docs";

test("components/args/types.ts and groupTypes.ts are the ones generated from the schema (npm run args:types)", async () => {
  const generated = await generatedArgsTypes();
  expect(Object.keys(generated).sort()).toEqual([GROUP_TYPES_FILE, TYPES_FILE].sort());
  for (const [file, text] of Object.entries(generated))
    expect({ file, text: readFileSync(file, "utf8") }).toEqual({ file, text });
});

test("every argument, grouped or 0.1 flat, has a one-line summary and a @default, or is marked required", () => {
  const interfaces = [
    ...["WebFarmArgs"].map((name) => [TYPES_FILE, name]),
    ...[...readFileSync(GROUP_TYPES_FILE, "utf8").matchAll(/^export interface (\w+)/gm)].map((m) => [
      GROUP_TYPES_FILE,
      m[1],
    ]),
  ];
  expect(interfaces.length).toBeGreaterThanOrEqual(12);
  for (const [file, name] of interfaces) {
    for (const [member, doc] of Object.entries(memberDocs(file, name))) {
      const at = `${name}.${member}`;
      expect({ at, summary: doc.description.length > 10 && !doc.description.includes("\n") }).toEqual({
        at,
        summary: true,
      });
      // Exactly one of them: a required argument has no default to state.
      const required = /Required( \(or the 0\.1 \w+(, \w+)* until 0\.3\))?\.$/.test(doc.description);
      const optional = new RegExp(`^\\s+${member}\\?:`, "m").test(readFileSync(file, "utf8"));
      expect({ at, default: (doc.defaultTag ?? "").length > 0, required }).toEqual({
        at,
        default: !required,
        required: !optional || required,
      });
    }
  }
  expect(memberDocs(TYPES_FILE, "WebFarmArgs").nodes.description).toMatch(
    /Required \(or the 0\.1 nodeCount until 0\.3\)\.$/,
  );
  expect(memberDocs(GROUP_TYPES_FILE, "NodesArgs").count.defaultTag).toBeUndefined();
  // A plain default is stated as the schema holds it.
  expect(memberDocs(TYPES_FILE, "WebFarmArgs").sessionTimeoutMinutes.defaultTag).toBe("20");
  expect(memberDocs(GROUP_TYPES_FILE, "StateServerArgs").port.defaultTag).toBe("42424");
  expect(DOCS.get(argsSchema.shape.nodes)?.summary).toMatch(/web nodes/);
});
