// ASP.NET State Service sessions (pure): the <sessionState> attributes that point a node at the
// state server, and a web node's part of the boot for it. The web node's boot and the farm's
// web.config fragment include them as they are (windows/userData.ts, windows/webConfig.ts).
import type { NodeSessionBoot } from "../../../windows/userData";
import { sessionTimeout, SessionStateAttributes } from "../../../windows/webConfig";
import { checkHost, checkPort, psLiteral } from "../../../windows/values";

/** StateServer mode: the ASP.NET State Service at host:port. */
export interface StateSessionValues {
  stateHost: string;
  statePort: number;
  /** Session timeout in minutes (ASP.NET's default is 20). */
  timeoutMinutes?: number;
}

/** The <sessionState> attributes: `tcpip=` is case-sensitive and takes '=', not ':'. */
export function stateSessionAttributes(state: StateSessionValues): SessionStateAttributes {
  const timeout = sessionTimeout(state.timeoutMinutes);
  return {
    mode: "StateServer",
    stateConnectionString: `tcpip=${checkHost("stateHost", state.stateHost)}:${checkPort("statePort", state.statePort)}`,
    stateNetworkTimeout: "10",
    cookieless: "false",
    timeout,
  };
}

/**
 * A web node's part of the boot: the attributes, the server's name and port as variables, and a
 * warning at the end when the server does not answer yet (it may still be booting; sessions come
 * once it does). Checked when the boot is generated.
 */
export function stateServerNodeSession(state: StateSessionValues): NodeSessionBoot {
  return () => ({
    sessionState: stateSessionAttributes(state),
    variables: [
      `$StateHost = ${psLiteral(state.stateHost)}`,
      `$StatePort = ${checkPort("statePort", state.statePort)}`,
    ],
    before: [],
    after: [],
    closing: [
      "# The state server may still be booting: report, do not fail.",
      "if (-not (Test-NetConnection -ComputerName $StateHost -Port $StatePort -InformationLevel Quiet)) {",
      "  Write-Output ('aspnet-webfarm web node: warning: state server ' + $StateHost + ':' + $StatePort + ' not reachable yet')",
      "}",
    ],
  });
}
