// The AWS calls of the SQL Server session scripts (sqlSession.ts), for the permission proof.
import { AwsCall, Caller, Principal, secretRead } from "../../../aws/iam/calls";

const SOURCE = "components/sessions/sqlServer/windows/sqlSession.ts";

/** A web node reads its session login; the setup instance reads the master secret and the login. */
export function sqlSessionCalls(
  principal: Extract<Principal, "web-node" | "session-setup">,
  c: Caller,
  p: { sessionSecretArn: string; masterSecretArn?: string },
): AwsCall[] {
  return [
    ...(principal === "session-setup" && p.masterSecretArn
      ? secretRead(principal, c, p.masterSecretArn, `${SOURCE}: Read-Secret (RDS master)`, "Get-SECSecretValue")
      : []),
    ...secretRead(principal, c, p.sessionSecretArn, `${SOURCE}: Read-Secret (session login)`, "Get-SECSecretValue"),
  ];
}
