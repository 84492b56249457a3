// Pure generators for the Windows side: no Pulumi here.
export * from "./values";
export * from "./webConfig";
export * from "./userData";
