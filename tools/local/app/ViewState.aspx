<%@ Page Language="C#" EnableSessionState="false" EnableViewState="true" %>
<%-- A ViewState form: the node that rendered it is kept in ViewState; a postback to another node
     validates only if both share the machineKey. --%>
<script runat="server">
  string Node { get { return Environment.GetEnvironmentVariable("WEBFARM_NODE") ?? Environment.MachineName; } }
  protected void Page_Load(object sender, EventArgs e)
  {
    if (!IsPostBack) ViewState["renderedBy"] = Node;
  }
  protected void Send_Click(object sender, EventArgs e)
  {
    Result.Text = "postback ok: rendered by " + ViewState["renderedBy"] + ", validated by " + Node + ", message " + Server.HtmlEncode(Message.Text);
  }
</script>
<html>
<body>
  <form id="form1" runat="server">
    <p>Rendered by <%= Node %></p>
    <asp:TextBox ID="Message" runat="server" />
    <asp:Button ID="Send" runat="server" Text="Send" OnClick="Send_Click" />
    <p><asp:Label ID="Result" runat="server" /></p>
  </form>
</body>
</html>
