// The IIS site every node serves the application from. KB 325056: the state server keys sessions
// by /LM/W3SVC/<siteId>/ROOT, so every node must use the same site id and path.
export const SITE_NAME = "Default Web Site";
export const SITE_ID = 1;
