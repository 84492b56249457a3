// Pure generators for the Windows side: no Pulumi here.
export * from "./values";
export * from "./webConfig";
export * from "./boot";
export * from "./userData";
export * from "./spotWatch";
export * from "./site";
export * from "../releases/windows/hooks";
export * from "./agents";
export * from "../image/windows/image";
export * from "../sessions/sqlServer/windows/sqlSession";
export * from "../sessions/stateServer/windows/stateSession";
export * from "./loader";
