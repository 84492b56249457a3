// The examples import the kit by its package name, as a user's program does. From inside this
// repository Node resolves that name to the package itself, i.e. dist/ (package.json "exports"),
// which tests do not build: for the tests the name leads to the compiled components in .build/.
import Module from "module";
import { join } from "path";

const KIT = join(__dirname, "..", "..", "components");
const resolver = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolve = resolver._resolveFilename;
resolver._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === "aspnet-webfarm" ? KIT : request, ...rest);
};
