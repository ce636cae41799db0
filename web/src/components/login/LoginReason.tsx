// Why the login screen shows, in one sentence, when there is more to say than "this server needs a
// token" (a first visit says nothing here: the help below the title explains where the token is).
export type LoginReason = 'first-visit' | 'signed-out' | 'link-rejected' | 'saved-rejected';

const TEXT: Record<Exclude<LoginReason, 'first-visit'>, { tone: 'info' | 'warn'; text: string }> = {
  'signed-out': { tone: 'info', text: 'You are signed out.' },
  'link-rejected': {
    tone: 'warn',
    text: 'The token in the sign-in link was not accepted. The link may be from an earlier start of the server with another token: use the newest link, or paste the current token below.',
  },
  'saved-rejected': {
    tone: 'warn',
    text: 'The token saved in this browser is not accepted any more: the server was probably restarted with another token. Sign in with the current one.',
  },
};

export function LoginReasonLine({ reason }: { reason: LoginReason }) {
  if (reason === 'first-visit') return null;
  const { tone, text } = TEXT[reason];
  return (
    <p className={`login__reason login__reason--${tone}`} role="status" data-testid="login-reason" data-reason={reason}>
      {text}
    </p>
  );
}
