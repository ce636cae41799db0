// Rename or move a file or a folder (metadata only: nothing is copied). The field holds the new
// name (rename) or the folder to move to (move); the line under it shows the full name it becomes,
// and a refusal (a name taken, 409) says what is in the way, in the dialog.
import { useId, useState, type FormEvent } from 'react';
import { renameFile } from '../../api.ts';
import { initialInput, moveFailure, targetName, type Movable, type MoveMode } from '../../move-names.ts';
import { ErrorLine } from '../common.tsx';
import { Modal } from '../Modal.tsx';

export interface MoveRequest {
  item: Movable;
  mode: MoveMode;
}

export function MoveDialog({ request, onClose, onMoved }: {
  request: MoveRequest;
  onClose: () => void;
  /** After the server moved it: `to` is the new name, `moved` how many names moved. */
  onMoved: (to: string, moved: number) => void;
}) {
  const { item, mode } = request;
  const [typed, setTyped] = useState(() => initialInput(item, mode));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const fieldId = useId();
  const target = targetName(item, mode, typed);
  const noun = item.kind === 'folder' ? 'folder' : 'file';

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!('to' in target)) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await renameFile(item.name, target.to);
      onMoved(target.to, r.moved);
    } catch (err) {
      setError(moveFailure(err, item, target.to));
      setBusy(false);
    }
  };

  return (
    <Modal title={`${mode === 'rename' ? 'Rename' : 'Move'} ${noun}`} busy={busy} onClose={onClose} testId="move-dialog">
      <form className="modal__form" onSubmit={(e) => void submit(e)}>
        <p className="muted small break clamp-3" title={item.name}>
          {item.name}
        </p>
        <label className="field" htmlFor={fieldId}>
          <span>{mode === 'rename' ? 'New name' : 'Move to folder (empty for the top)'}</span>
          <input
            id={fieldId}
            data-autofocus
            type="text"
            value={typed}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            placeholder={mode === 'move' ? 'e.g. archive/2024/' : undefined}
            onFocus={(e) => e.target.select()}
            onChange={(e) => {
              setTyped(e.target.value);
              setError(undefined);
            }}
            data-testid="move-input"
          />
        </label>
        <p className="small break" data-testid="move-target">
          {'to' in target ? (
            <>
              Becomes <code>{target.to}</code>
              {item.kind === 'folder' ? ' (with everything in it)' : ''}
            </>
          ) : (
            <span className="muted">{target.problem}</span>
          )}
        </p>
        <ErrorLine error={error} testId="move-error" wrap />
        <div className="modal__actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn--primary" disabled={busy || !('to' in target)} data-testid="move-submit">
            {busy ? 'Working…' : mode === 'rename' ? 'Rename' : 'Move'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
