// The examples import the kit by its package name, as a user's program does. From inside this
// repository Node resolves that name to the package itself, i.e. dist/ (package.json "exports"),
// which tests do not build: for the tests the name leads to the compiled components in .build/.
import Module from "module";
import { join } from "path";

const BUILD = join(__dirname, "..", "..");
const KIT = join(BUILD, "components");
/** Only this repository's own programs: a team's project in a test installs the packed kit, and gets that. */
const OWN = [join(BUILD, "examples"), join(BUILD, "test")];
const resolver = Module as unknown as {
  _resolveFilename(request: string, parent?: { filename?: string }, ...rest: unknown[]): string;
};
const resolve = resolver._resolveFilename;
resolver._resolveFilename = function (request, parent, ...rest) {
  const own = OWN.some((dir) => parent?.filename?.startsWith(dir) === true);
  return resolve.call(this, request === "aspnet-webfarm" && own ? KIT : request, parent, ...rest);
};
