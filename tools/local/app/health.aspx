<%@ Page Language="C#" EnableSessionState="false" %>OK
