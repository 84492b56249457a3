// Pure generators for the Windows side: no Pulumi here.
export * from "./values";
export * from "./webConfig";
export * from "./boot";
export * from "./userData";
export * from "./site";
export * from "./release";
export * from "./agents";
export * from "./image";
export * from "./sqlSession";
export * from "./loader";
