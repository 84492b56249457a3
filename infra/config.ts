// The stack's configuration, derived from WebFarm's one argument schema: each key's type, default
// and description come from the schema (Pulumi.yaml and docs/configuration.md's table are generated
// from it by tools/scripts/config-docs.ts; a test keeps them current). Reading raw values and
// turning them into WebFarmArgs reports every problem at once.
//
// A group of arguments is a set of keys <group><Child> (nodes.count is nodesCount), as app.path was
// appPath in 0.1: Pulumi.yaml's project config declares only string, integer, boolean and array
// keys (pulumi/pulumi's project.json; an object type is an open request, pulumi/pulumi#11321), and
// once a project declares its config a stack may set no undeclared key of the project, so structured
// keys (`pulumi config set --path nodes.count 2`) could be neither typed nor given defaults.
// The 0.1 keys (nodeCount, vpcCidr, ...) are still declared, read with a warning, until 0.3.
import { z } from "zod";
import {
  argsSchema,
  FarmImageArgs,
  farmImageArgProblems,
  farmImageSchema,
  farmConfigError,
  FLAT_ARGUMENTS,
  LITERAL_OF,
  Problem,
  SESSION_STORES,
  TYPE_NAMES,
  warnOnce,
  WebFarmArgs,
  webFarmArgProblems,
} from "../components";
import { isEmpty, parsePairs, parseSecretReferences, parseValue } from "./configValues";

export type ConfigType = "string" | "integer" | "boolean" | "array";

export interface ConfigDeclaration {
  type: ConfigType;
  description: string;
  /** Pulumi treats a declared key without a default as required, so optional keys default to empty. */
  default: string | number | boolean | string[];
  items?: { type: "string" };
}

export const CONFIG_NAMESPACE = "aspnet-webfarm";

/** WebFarm arguments a stack does not set: the program fills them (AZs) or keeps their default. */
export const NOT_CONFIGURABLE = ["networkAvailabilityZones", "machineKeyParameterName", "nodesSchedules"] as const;

/** Keys that are not WebFarm arguments, or read differently in a stack's config. */
export const CONFIG_ONLY: Record<
  string,
  { type: ConfigType; default: ConfigDeclaration["default"]; description: string }
> = {
  farmName: {
    type: "string",
    default: "webfarm",
    description:
      "Logical name of the farm; prefixes every resource (letters, digits, hyphens; at most 18 characters, so the target group's name fits AWS's 32).",
  },
  imageStack: {
    type: "string",
    default: "",
    description:
      "The stack (organization/project/stack) that builds the farm image (buildsImage: true): the web nodes boot from its imageId output. Not with imageAmiId.",
  },
  buildsImage: {
    type: "boolean",
    default: false,
    // The keys are listed (from FarmImage's arguments, below): imageAmiId and imageStateAmiId share
    // the prefix but are a farm's (WebFarmArgs.image).
    get description() {
      const keys = imageKeys();
      return `This stack builds the farm's Windows image (FarmImage, EC2 Image Builder) and exports imageId, instead of a farm; then ${keys.slice(0, -1).join(", ")} and ${keys.at(-1)} apply (imageAmiId and imageStateAmiId are a farm's).`;
    },
  },
  sessionStore: {
    type: "string",
    // The state server unless a stack chooses SQL Server, as in WebFarmArgs.
    default: SESSION_STORES[0],
    description:
      'Where sessions live: "stateServer" (the ASP.NET State Service on one instance; the stateServer* keys apply) or "sqlServer" (SQL Server session state on Amazon RDS; the sqlServer* keys apply). In WebFarmArgs the group given chooses; config has no groups, so this key does.',
  },
};

/** The image stack's keys: FarmImage's arguments as imageVersion, imageSubnetId, ... (tags are shared). */
export const IMAGE_ARGUMENTS = {
  parent: "image",
  schema: farmImageSchema.omit({ tags: true }),
  docs: "FarmImageArgs",
  file: "components/image/farmImage.ts",
} as const;
const imageKeys = () => Object.keys(IMAGE_ARGUMENTS.schema.shape).map((c) => flatKey(IMAGE_ARGUMENTS.parent, c));
/** Config defaults of arguments that WebFarm requires. */
export const CONFIG_DEFAULTS: Record<string, ConfigDeclaration["default"]> = { nodesCount: 2 };
/** What a key means in config beyond the argument's own description. */
export const CONFIG_NOTES: Record<string, string> = {
  tags: "In stack config: a list of Key=Value items.",
  nodesMaxCount: "In stack config, 0 means nodesCount.",
  appSettings: "In stack config: a list of Name=Value items.",
  appConnectionStrings: "In stack config: a list of Name=Value items.",
  appSecretSettings: "In stack config: a list of Name=ssm:<parameter> or Name=secretsmanager:<secret> items.",
  appSecretConnectionStrings: "In stack config: a list of Name=ssm:<parameter> or Name=secretsmanager:<secret> items.",
};

type Def = { type: string; innerType?: unknown; defaultValue?: unknown; element?: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/**
 * WebFarm's groups of arguments, each a set of config keys (see the top of this file): nodes.count
 * is nodesCount, app.path is appPath. Read off the schema: every argument whose value is an object.
 */
export const NESTED_ARGUMENTS: Record<string, { schema: z.ZodObject; docs: string }> = Object.fromEntries(
  Object.entries(argsSchema.shape).flatMap(([key, schema]) => {
    const inner = defOf(schema).type === "optional" ? (defOf(schema).innerType as z.ZodObject) : undefined;
    return inner && defOf(inner).type === "object" ? [[key, { schema: inner, docs: TYPE_NAMES.get(inner)!.name }]] : [];
  }),
);
export const flatKey = (parent: string, child: string) => parent + child[0].toUpperCase() + child.slice(1);
/** The argument path of a config key: appPath -> app.path; nodesCount -> nodes.count; tags -> tags. */
export function argumentPathOf(key: string): string {
  for (const [parent, { schema }] of Object.entries(NESTED_ARGUMENTS)) {
    for (const child of Object.keys(schema.shape)) if (flatKey(parent, child) === key) return `${parent}.${child}`;
  }
  return key;
}

/** The 0.1 config keys (the flat arguments' names) and the key each is now; read with a warning until 0.3. */
export const FLAT_CONFIG_KEYS: Record<string, string> = Object.fromEntries(
  Object.entries(FLAT_ARGUMENTS)
    .map(([flat, place]) => [flat, flatKey(...(place.split(".") as [string, string]))])
    .filter(([flat, now]) => flat !== now && !(NOT_CONFIGURABLE as readonly string[]).includes(now)),
);

/** The config type and default of one argument, read off its schema. */
export function configShapeOf(schema: unknown): { type: ConfigType; default: ConfigDeclaration["default"] } {
  let s = schema;
  let fallback: unknown;
  for (;;) {
    const def = defOf(s);
    if (def.type === "default") fallback ??= def.defaultValue;
    if (def.type === "default" || def.type === "optional") s = def.innerType;
    else if (def.type === "custom" && LITERAL_OF.has(s as never)) s = LITERAL_OF.get(s as never);
    else break;
  }
  const type = defOf(s).type;
  if (type === "number") return { type: "integer", default: (fallback as number | undefined) ?? 0 };
  if (type === "boolean") return { type: "boolean", default: (fallback as boolean | undefined) ?? false };
  if (type === "string" || type === "enum") return { type: "string", default: (fallback as string | undefined) ?? "" };
  if (type === "array") return { type: "array", default: (fallback as string[] | undefined) ?? [] };
  // A map (tags) is a list of Key=Value items in config: Pulumi.yaml has no map type.
  if (type === "record")
    return { type: "array", default: Object.entries((fallback as object) ?? {}).map(([k, v]) => `${k}=${v}`) };
  throw new Error(`no config type for a ${type} argument`);
}

export type ConfigShape = Omit<ConfigDeclaration, "description">;

/** Every config key, in the schema's order, with its type and default: what the program reads. */
export const CONFIG: Record<string, ConfigShape> = (() => {
  const shapes: Record<string, ConfigShape> = {};
  for (const [key, { type, default: value }] of Object.entries(CONFIG_ONLY)) shapes[key] = { type, default: value };
  const add = (key: string, schema: unknown) => {
    const shape = { ...configShapeOf(schema), ...(key in CONFIG_DEFAULTS ? { default: CONFIG_DEFAULTS[key] } : {}) };
    shapes[key] = { ...shape, ...(shape.type === "array" ? { items: { type: "string" as const } } : {}) };
  };
  for (const [key, schema] of Object.entries(argsSchema.shape)) {
    const nested = NESTED_ARGUMENTS[key];
    const keys: [string, unknown][] = nested
      ? Object.entries(nested.schema.shape).map(([child, childSchema]) => [flatKey(key, child), childSchema])
      : [[key, schema]];
    for (const [k, ks] of keys) if (!(NOT_CONFIGURABLE as readonly string[]).includes(k)) add(k, ks);
  }
  for (const [child, childSchema] of Object.entries(IMAGE_ARGUMENTS.schema.shape))
    add(flatKey(IMAGE_ARGUMENTS.parent, child), childSchema);
  // The 0.1 keys: each typed as its new key, empty by default, so a stack that sets one is seen.
  for (const [flat, now] of Object.entries(FLAT_CONFIG_KEYS)) {
    const { type, items } = shapes[now];
    const empty = { string: "", integer: 0, boolean: false, array: [] as string[] }[type];
    shapes[flat] = { type, default: empty, ...(items ? { items } : {}) };
  }
  return shapes;
})();

/** The declarations Pulumi.yaml holds: each key's shape with its description (from WebFarmArgs' doc comments). */
export function configDeclarations(argumentDescriptions: Record<string, string>): Record<string, ConfigDeclaration> {
  return Object.fromEntries(
    Object.entries(CONFIG).map(([key, shape]) => {
      const text =
        CONFIG_ONLY[key]?.description ??
        (key in FLAT_CONFIG_KEYS
          ? `The 0.1 spelling of ${FLAT_CONFIG_KEYS[key]}: still read, with a warning, until 0.3 (docs/UPGRADE.md).`
          : argumentDescriptions[key]);
      if (text === undefined) throw new Error(`WebFarmArgs.${key} has no doc comment`);
      const description = [text, CONFIG_NOTES[key]].filter(Boolean).join(" ");
      return [
        key,
        { type: shape.type, description, default: shape.default, ...(shape.items ? { items: shape.items } : {}) },
      ];
    }),
  );
}

export type RawConfig = Record<string, string | undefined>;

export interface StackSettings {
  farmName: string;
  args: WebFarmArgs;
  /** A stack that builds the farm image (buildsImage): its FarmImage arguments instead of a farm. */
  image?: FarmImageArgs;
  /** The stack whose imageId output the web nodes boot from. */
  imageStack?: string;
  /** Everything wrong with the config; the program throws them together with the region checks'. */
  problems: Problem[];
  /** A WebFarm problem (nodes.count) in the config's terms (nodesCount, or nodeCount where the stack set that). */
  inConfigTerms: (problem: Problem) => Problem;
}

/** The app.* config keys as WebFarmArgs.app: present only when the stack names a build. */
function appFromConfig(values: Record<string, unknown>, problems: Problem[]): WebFarmArgs["app"] {
  const given = Object.keys(NESTED_ARGUMENTS.app.schema.shape).filter(
    (child) =>
      values[flatKey("app", child)] !== undefined &&
      values[flatKey("app", child)] !== CONFIG[flatKey("app", child)].default,
  );
  const source = ["path", "bucket", "key"].some((child) => values[flatKey("app", child)] !== undefined);
  if (!source) {
    for (const child of given)
      problems.push({
        propertyPath: flatKey("app", child),
        reason: "applies only with an application: set appPath, or appBucket and appKey",
      });
    return undefined;
  }
  const app: Record<string, unknown> = {};
  for (const child of Object.keys(NESTED_ARGUMENTS.app.schema.shape)) {
    const key = flatKey("app", child);
    const value = values[key];
    if (value === undefined) continue;
    if (child === "settings" || child === "connectionStrings")
      app[child] = parsePairs(key, value as string[], problems);
    else if (child === "secretSettings" || child === "secretConnectionStrings")
      app[child] = parseSecretReferences(key, value as string[], problems);
    else app[child] = value;
  }
  return app as WebFarmArgs["app"];
}

/**
 * Raw stack config (key -> string, as Pulumi hands it over) to the farm's name and args, with
 * every problem: unknown keys in the project's namespace, unparsable values, every WebFarm rule.
 */
export function readStackSettings(raw: RawConfig, keysSet?: ReadonlySet<string>): StackSettings {
  const problems: Problem[] = [];
  // Pulumi merges Pulumi.yaml's defaults into every stack's config: a key is set when the stack's own
  // file names it (keysSet: infra/stackFile.ts keysSetByStack), or when it differs from its default.
  const named = (key: string) => keysSet?.has(key) === true;
  for (const key of Object.keys(raw)) {
    if (!(key in CONFIG))
      problems.push({
        propertyPath: key,
        reason: `is not a setting of this project (known: ${Object.keys(CONFIG).join(", ")})`,
      });
  }
  const values: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(CONFIG)) {
    const text = raw[key];
    const value = text === undefined ? decl.default : parseValue(key, decl, text, problems);
    // Empty means "not set" only for keys whose default is empty: an explicit allowedCidrs: []
    // must be reported, not silently widened to the default; so must a 0.1 key the stack sets to
    // 0 or [] (its declared default is empty only so that Pulumi does not require it).
    if (!(isEmpty(value) && isEmpty(decl.default)) || (key in FLAT_CONFIG_KEYS && named(key))) values[key] = value;
  }
  const { farmName, tags, buildsImage, imageStack } = values;
  const name = typeof farmName === "string" ? farmName : "webfarm";
  const sharedTags = tags !== undefined ? parsePairs("tags", tags as string[], problems) : undefined;
  const setHere = (key: string) =>
    values[key] !== undefined && JSON.stringify(values[key]) !== JSON.stringify(CONFIG[key].default);
  if (buildsImage === true) return imageStackSettings(name, values, sharedTags, setHere, problems);
  // Both spellings of one key: a new key set to its default in the stack's file counts too.
  const spelling = moveFlatKeys(values, (key) => named(key) || setHere(key), problems);
  const said = (key: string) => spelling.get(key) ?? key;
  for (const key of imageKeys().filter(setHere))
    problems.push({ propertyPath: key, reason: "applies only to a stack that builds the image (buildsImage: true)" });
  if (imageStack !== undefined) {
    if (typeof imageStack !== "string" || !STACK_NAME.test(imageStack))
      problems.push({
        propertyPath: "imageStack",
        reason: `must be a stack name such as acme/aspnet-webfarm/images; got ${JSON.stringify(imageStack)}`,
      });
    if (values.imageAmiId !== undefined)
      problems.push({
        propertyPath: "imageStack",
        reason: `and ${said("imageAmiId")} both name the nodes' image: set one`,
      });
  }
  const store = values.sessionStore;
  if (!(SESSION_STORES as readonly unknown[]).includes(store))
    problems.push({
      propertyPath: "sessionStore",
      reason: `must be one of ${SESSION_STORES.join(", ")}; got ${JSON.stringify(store)}`,
    });
  const app = appFromConfig(values, problems);
  const args: Record<string, unknown> = {
    ...Object.fromEntries(
      Object.keys(argsSchema.shape)
        .filter((k) => !NESTED_ARGUMENTS[k] && k !== "tags" && values[k] !== undefined)
        .map((k) => [k, values[k]]),
    ),
    ...(sharedTags !== undefined ? { tags: sharedTags } : {}),
    ...(app ? { app } : {}),
  };
  const groupOf = (group: string, only = (_key: string) => true) =>
    Object.fromEntries(
      Object.keys(NESTED_ARGUMENTS[group].schema.shape)
        .filter((child) => values[flatKey(group, child)] !== undefined && only(flatKey(group, child)))
        .map((child) => [child, values[flatKey(group, child)]]),
    );
  const notHere = (group: string, reason: string) => {
    for (const key of Object.keys(groupOf(group, setHere)))
      problems.push({ propertyPath: said(flatKey(group, key)), reason });
  };
  for (const group of Object.keys(NESTED_ARGUMENTS)) {
    if (group === "app") continue;
    const given = groupOf(group);
    if (Object.keys(given).length > 0) args[group] = given;
  }
  // A stack that brings its own network "has" the own network's defaults: it keeps what it set
  // (so validation reports it), and likewise the session store not chosen by sessionStore.
  if (args.existingNetwork !== undefined) {
    const own = groupOf("network", setHere);
    if (Object.keys(own).length > 0) args.network = own;
    else delete args.network;
  }
  if (store === "sqlServer") {
    delete args.stateServer;
    notHere("stateServer", 'applies only with sessionStore "stateServer"');
  } else {
    delete args.sqlServer;
    notHere("sqlServer", 'applies only with sessionStore "sqlServer"');
  }
  // Problems in the config's own terms: the farm's name, nodes.count as nodesCount (or nodeCount).
  const inConfigTerms = (p: Problem): Problem => {
    if (p.propertyPath === "name") return { ...p, propertyPath: "farmName" };
    const key = (group: string, child: string) =>
      NESTED_ARGUMENTS[group]?.schema.shape[child] ? said(flatKey(group, child)) : undefined;
    const m = /^(\w+)\.(\w+)(.*)$/.exec(p.propertyPath);
    const at = m && key(m[1], m[2]);
    const reason = p.reason.replace(/\b(\w+)\.(\w+)\b/g, (whole, g, c) => key(g, c) ?? whole);
    return { propertyPath: at ? at + m![3] : p.propertyPath, reason };
  };
  const farmProblems = webFarmArgProblems(name, args).map(inConfigTerms);
  problems.push(...farmProblems.filter((p) => !problems.some((q) => q.propertyPath === p.propertyPath)));
  return {
    farmName: name,
    args: args as WebFarmArgs,
    problems,
    inConfigTerms,
    ...(typeof imageStack === "string" ? { imageStack } : {}),
  };
}

/**
 * The 0.1 keys set in this stack, moved to their new keys with a warning (once per key and
 * process); a key set in both spellings is a problem. Returns the 0.1 key each new key came from.
 */
function moveFlatKeys(
  values: Record<string, unknown>,
  setHere: (key: string) => boolean,
  problems: Problem[],
): Map<string, string> {
  const spelling = new Map<string, string>();
  for (const [flat, now] of Object.entries(FLAT_CONFIG_KEYS)) {
    if (setHere(flat)) {
      warnOnce(
        `config:${flat}`,
        `config key ${CONFIG_NAMESPACE}:${flat} is the 0.1 spelling: use ${CONFIG_NAMESPACE}:${now} (docs/UPGRADE.md); it goes in 0.3`,
      );
      if (setHere(now))
        problems.push({ propertyPath: flat, reason: `is the 0.1 key of ${now}, which is set too: set ${now} only` });
      else {
        values[now] = values[flat];
        spelling.set(now, flat);
      }
    }
    delete values[flat];
  }
  return spelling;
}

/** A stack name as StackReference takes it: stack, project/stack or organization/project/stack. */
const STACK_NAME = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;

/** An images stack: FarmImage's arguments from its keys (imageVersion, ...); any farm key set here is a mistake. */
function imageStackSettings(
  name: string,
  values: Record<string, unknown>,
  tags: Record<string, string> | undefined,
  setHere: (key: string) => boolean,
  problems: Problem[],
): StackSettings {
  const own = new Set(["farmName", "tags", "buildsImage", ...imageKeys()]);
  for (const key of Object.keys(CONFIG).filter((k) => !own.has(k) && setHere(k)))
    problems.push({ propertyPath: key, reason: "applies to a farm stack, not to one that builds the image" });
  const image: Record<string, unknown> = tags ? { tags } : {};
  for (const child of Object.keys(IMAGE_ARGUMENTS.schema.shape)) {
    const value = values[flatKey(IMAGE_ARGUMENTS.parent, child)];
    if (value !== undefined) image[child] = value;
  }
  for (const p of farmImageArgProblems(image))
    problems.push({ ...p, propertyPath: flatKey(IMAGE_ARGUMENTS.parent, p.propertyPath) });
  return { farmName: name, args: {} as WebFarmArgs, image: image as FarmImageArgs, problems, inConfigTerms: (p) => p };
}

export function throwIfProblems(problems: Problem[]): void {
  if (problems.length > 0) throw farmConfigError(`The stack's ${CONFIG_NAMESPACE} config`, problems);
}

/** Reads this project's keys from Pulumi's config map ("namespace:key" -> value). */
export function projectConfig(all: Record<string, string>, namespace = CONFIG_NAMESPACE): RawConfig {
  const prefix = `${namespace}:`;
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}
