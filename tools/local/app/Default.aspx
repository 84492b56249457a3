<%@ Page Language="C#" EnableSessionState="true" %>
<%-- Session counter: which node answered, which release, which session, how many requests it has seen. --%>
<script runat="server">
  protected void Page_Load(object sender, EventArgs e)
  {
    int count = Session["count"] == null ? 1 : (int)Session["count"] + 1;
    Session["count"] = count;
    Response.ContentType = "text/plain";
    Response.Write("node=" + (Environment.GetEnvironmentVariable("WEBFARM_NODE") ?? Environment.MachineName) + "\n");
    Response.Write("release=" + System.Configuration.ConfigurationManager.AppSettings["webfarm:release"] + "\n");
    Response.Write("session=" + Session.SessionID + "\n");
    Response.Write("count=" + count + "\n");
    Response.End();
  }
</script>
