<%@ Page Language="C#" EnableSessionState="false" %>
<%-- What a release's ValidateService asks for: the application answers (200) on this node. --%>
<script runat="server">
  protected void Page_Load(object sender, EventArgs e)
  {
    Response.ContentType = "text/plain";
    Response.Write("ok " + System.Configuration.ConfigurationManager.AppSettings["webfarm:release"]);
  }
</script>
