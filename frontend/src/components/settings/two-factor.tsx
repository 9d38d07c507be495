import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import {
  usersDisableTwoFactor,
  usersEnableTwoFactor,
  usersReplaceRecoveryCodes,
  usersSetupTwoFactor,
} from "@/client/sdk.gen"
import type { TwoFactorSetup } from "@/client/types.gen"
import { Badge } from "@/components/ui/badge"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { Spinner } from "@/components/ui/spinner"
import { useCurrentUser } from "@/hooks/use-current-user"
import { errorMessage } from "@/lib/errors"
import { currentUserQuery, twoFactorQuery } from "@/lib/queries"
import { toast } from "@/lib/toast"
import { SettingsSection } from "./section"

const SIX_DIGITS = /^\d{6}$/

const ENABLED_NOTICE =
  "Two-factor authentication is on. Save these recovery codes now: they are shown only once."
const REPLACED_NOTICE =
  "These are your new recovery codes: the earlier ones no longer work. Save them now: they are shown only once."

/** Two-factor authentication: enrol with a QR code, recovery codes shown once (and
 * replaced on demand), turn off. */
export function TwoFactorSettings() {
  const status = useQuery(twoFactorQuery)
  const [codes, setCodes] = useState<{ codes: string[]; notice: string } | null>(null)

  return (
    <SettingsSection
      title="Two-factor authentication"
      description="After your password (or a provider), logins ask for a code from an authenticator app."
    >
      {status.isPending ? (
        <Spinner />
      ) : status.error ? (
        <FormAlert message={errorMessage(status.error)} />
      ) : codes ? (
        <RecoveryCodesOnce {...codes} onDone={() => setCodes(null)} />
      ) : status.data.enabled ? (
        <Enabled
          codesLeft={status.data.recovery_codes_left}
          onReplaced={(replaced) => setCodes({ codes: replaced, notice: REPLACED_NOTICE })}
        />
      ) : (
        <TurnOn
          required={status.data.required}
          onEnabled={(enabled) => setCodes({ codes: enabled, notice: ENABLED_NOTICE })}
        />
      )}
    </SettingsSection>
  )
}

function TurnOn({
  required,
  onEnabled,
}: {
  required: boolean
  onEnabled: (codes: string[]) => void
}) {
  const queryClient = useQueryClient()
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null)
  const [code, setCode] = useState("")
  const [invalid, setInvalid] = useState(false)
  const start = useMutation({
    mutationFn: async () => (await usersSetupTwoFactor({ throwOnError: true })).data,
    onSuccess: setSetup,
  })
  const enable = useMutation({
    mutationFn: async () =>
      (await usersEnableTwoFactor({ body: { code }, throwOnError: true })).data,
    meta: { inlineErrors: true },
    onSuccess: async (answer) => {
      onEnabled(answer.recovery_codes)
      await queryClient.invalidateQueries({ queryKey: twoFactorQuery.queryKey })
      await queryClient.invalidateQueries({ queryKey: currentUserQuery.queryKey })
    },
  })

  if (!setup) {
    return (
      <div className="space-y-4">
        {required && (
          <FormAlert
            tone="info"
            message="Your superuser rights wait until two-factor authentication is on."
          />
        )}
        <p className="text-sm text-zinc-700 dark:text-zinc-300">
          <Badge tone="gray">Off</Badge> Use an app such as Google Authenticator, 1Password or
          Aegis.
        </p>
        <Button onClick={() => start.mutate()} loading={start.isPending}>
          Set up two-factor authentication
        </Button>
      </div>
    )
  }
  return (
    <form
      noValidate
      className="space-y-5"
      onSubmit={(event) => {
        event.preventDefault()
        setInvalid(!SIX_DIGITS.test(code))
        if (SIX_DIGITS.test(code)) enable.mutate()
      }}
    >
      <ol className="list-decimal space-y-2 pl-5 text-sm text-zinc-700 dark:text-zinc-300">
        <li>Scan this QR code with your authenticator app.</li>
        <li>Enter the 6-digit code it shows.</li>
      </ol>
      <img
        src={setup.qr_svg}
        alt="QR code to add this account to an authenticator app"
        className="h-48 w-48 rounded-lg border border-zinc-200 bg-white p-1 dark:border-zinc-700"
      />
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        Can't scan it? Enter this key instead:{" "}
        <code data-testid="totp-secret" className="break-all font-mono text-xs">
          {setup.secret}
        </code>
      </p>
      <FormAlert message={enable.error ? errorMessage(enable.error) : null} />
      <InputField
        label="Code from the app"
        autoComplete="one-time-code"
        inputMode="numeric"
        required
        value={code}
        onChange={(event) => setCode(event.target.value.trim())}
        error={invalid ? "Enter the 6 digits the app shows." : undefined}
      />
      <div className="flex justify-end gap-2">
        <Button variant="ghost" onClick={() => setSetup(null)}>
          Cancel
        </Button>
        <Button type="submit" loading={enable.isPending}>
          Turn on
        </Button>
      </div>
    </form>
  )
}

function RecoveryCodesOnce({
  codes,
  notice,
  onDone,
}: {
  codes: string[]
  notice: string
  onDone: () => void
}) {
  return (
    <div className="space-y-4">
      <FormAlert tone="success" message={notice} />
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        Each code works once, in place of a code from the app, should you lose your phone.
      </p>
      <ul
        aria-label="Recovery codes"
        className="grid grid-cols-1 gap-1 rounded-lg bg-zinc-50 p-3 font-mono text-sm text-zinc-900 sm:grid-cols-2 dark:bg-zinc-800 dark:text-zinc-100"
      >
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="flex justify-end gap-2">
        <Button
          variant="outline"
          onClick={() =>
            void navigator.clipboard
              ?.writeText(codes.join("\n"))
              .then(() => toast.success("Recovery codes copied"))
          }
        >
          Copy codes
        </Button>
        <Button onClick={onDone}>I saved them</Button>
      </div>
    </div>
  )
}

/** On: the codes left, and the password and a current code to turn it off or to
 * replace the recovery codes. */
function Enabled({
  codesLeft,
  onReplaced,
}: {
  codesLeft: number
  onReplaced: (codes: string[]) => void
}) {
  const user = useCurrentUser()
  const queryClient = useQueryClient()
  const [password, setPassword] = useState("")
  const [code, setCode] = useState("")
  const proof = () => ({ code, password: user.has_password ? password : null })
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: twoFactorQuery.queryKey })
    await queryClient.invalidateQueries({ queryKey: currentUserQuery.queryKey })
  }
  const disable = useMutation({
    mutationFn: () => usersDisableTwoFactor({ body: proof(), throwOnError: true }),
    meta: { inlineErrors: true },
    onSuccess: async () => {
      toast.success("Two-factor authentication is off")
      await refresh()
    },
  })
  const replace = useMutation({
    mutationFn: async () =>
      (await usersReplaceRecoveryCodes({ body: proof(), throwOnError: true })).data,
    meta: { inlineErrors: true },
    onSuccess: async (answer) => {
      onReplaced(answer.recovery_codes)
      await refresh()
    },
  })
  const error = disable.error ?? replace.error
  return (
    <form
      noValidate
      className="space-y-5"
      onSubmit={(event) => {
        event.preventDefault()
        replace.reset()
        disable.mutate()
      }}
    >
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        <Badge tone="green">On</Badge> {codesLeft} recovery {codesLeft === 1 ? "code" : "codes"}{" "}
        left.
      </p>
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        To turn it off or to get new recovery codes, confirm it is you.
      </p>
      <FormAlert message={error ? errorMessage(error) : null} />
      {user.has_password && (
        <PasswordField
          label="Current password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      )}
      <InputField
        label="Authentication code"
        hint="From the app, or a recovery code."
        autoComplete="one-time-code"
        required
        value={code}
        onChange={(event) => setCode(event.target.value.trim())}
      />
      <div className="flex flex-wrap justify-end gap-2">
        <Button
          variant="outline"
          loading={replace.isPending}
          onClick={() => {
            disable.reset()
            replace.mutate()
          }}
        >
          Get new recovery codes
        </Button>
        <Button type="submit" variant="danger" loading={disable.isPending}>
          Turn off two-factor authentication
        </Button>
      </div>
    </form>
  )
}
