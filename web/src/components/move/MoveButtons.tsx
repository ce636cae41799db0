// Rename and Move to… for a row of the file browser (a file or a folder); they open MoveDialog.
import type { Movable, MoveMode } from '../../move-names.ts';

export function MoveButtons({ item, label, onMove }: { item: Movable; label: string; onMove: (item: Movable, mode: MoveMode) => void }) {
  return (
    <>
      <button type="button" className="btn btn--small btn--ghost" onClick={() => onMove(item, 'rename')} data-testid="rename-button" aria-label={`Rename ${label}`}>
        Rename
      </button>
      <button type="button" className="btn btn--small btn--ghost" onClick={() => onMove(item, 'move')} data-testid="move-button" aria-label={`Move ${label} to another folder`}>
        Move to…
      </button>
    </>
  );
}
