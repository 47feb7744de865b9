/** Login and sign-up: one small form each; a signed-in visitor goes straight to the dashboard. */
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { Button } from "../../components/ui/Button";
import { TextField } from "../../components/ui/fields";
import { FormError, LoadingState } from "../../components/ui/States";
import { ApiError } from "../../lib/api-client";
import { passwordProblem, useLogin, useMe, useSignup } from "./api";

/** Only same-site paths: `?next=https://evil.example` must not become an open redirect. */
export function safeNext(raw: string | null): string {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/";
  return raw;
}

function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-lg border border-line bg-panel p-6 shadow-sm">
        <p className="mb-1 text-lg font-semibold tracking-tight text-accent">Lynex</p>
        <h1 className="mb-4 text-xl font-semibold">{title}</h1>
        {children}
      </div>
    </main>
  );
}

function useRedirectIfSignedIn() {
  const me = useMe();
  const [params] = useSearchParams();
  return { me, next: safeNext(params.get("next")) };
}

export function LoginPage() {
  const { me, next } = useRedirectIfSignedIn();
  const login = useLogin();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  if (me.isPending) return <LoadingState />;
  if (me.data) return <Navigate to={next} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ email: email.trim(), password }, { onSuccess: () => navigate(next, { replace: true }) });
  };
  const error =
    login.error instanceof ApiError && login.error.status === 401
      ? new Error("Wrong email or password.")
      : login.error;

  return (
    <AuthFrame title="Sign in">
      <form className="flex flex-col gap-3" onSubmit={submit} noValidate>
        <TextField label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        <TextField label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <FormError error={error} />
        <Button type="submit" variant="primary" busy={login.isPending} disabled={!email || !password}>
          Sign in
        </Button>
      </form>
      <p className="mt-4 text-sm text-muted">
        No account?{" "}
        <Link className="text-accent underline" to={`/signup${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`}>
          Create one
        </Link>
      </p>
    </AuthFrame>
  );
}

export function SignupPage() {
  const { me, next } = useRedirectIfSignedIn();
  const signup = useSignup();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState(false);

  if (me.isPending) return <LoadingState />;
  if (me.data) return <Navigate to={next} replace />;

  const weak = passwordProblem(password);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (weak) return;
    signup.mutate({ email: email.trim(), password }, { onSuccess: () => navigate(next, { replace: true }) });
  };
  const error =
    signup.error instanceof ApiError && signup.error.status === 409
      ? new Error("An account with this email already exists. Sign in instead.")
      : signup.error;

  return (
    <AuthFrame title="Create your account">
      <form className="flex flex-col gap-3" onSubmit={submit} noValidate>
        <TextField label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          onBlur={() => setTouched(true)}
          aria-invalid={touched && weak ? true : undefined}
          hint={touched && weak ? <span className="text-bad">{weak}</span> : "At least 10 characters."}
        />
        <FormError error={error} />
        <Button type="submit" variant="primary" busy={signup.isPending} disabled={!email || !password}>
          Create account
        </Button>
      </form>
      <p className="mt-4 text-sm text-muted">
        Already have an account?{" "}
        <Link className="text-accent underline" to="/login">
          Sign in
        </Link>
      </p>
    </AuthFrame>
  );
}
