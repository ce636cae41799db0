// Where the access token comes from, for someone who has never signed in: the link and token that
// `dcs start` prints, the file it keeps the token in, and DCS_TOKEN for `dcs serve`.
export function LoginHelp() {
  return (
    <div className="login__help" data-testid="login-help">
      <p>This dcs server asks for its access token. To sign in:</p>
      <ul>
        <li>
          open the sign-in link that <code>dcs start</code> (or <code>npm start</code>) printed when it started, <code>http://…/#token=…</code>, or
        </li>
        <li>
          paste the token from the same output below. It is also saved in the repository, in the file <code>web-token</code> (<code>.dcs/web-token</code>{' '}
          unless you chose another repository).
        </li>
      </ul>
      <p className="muted small">
        A server started with <code>dcs serve</code> uses the token set in <code>DCS_TOKEN</code> when it was started.
      </p>
    </div>
  );
}
