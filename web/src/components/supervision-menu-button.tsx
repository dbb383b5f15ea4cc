import { useEffect, useId, useRef, useState } from 'react';
import type { MenuItem, SupervisionAction } from '../lib/supervision-menu.js';

/**
 * The menu beside a participant's name: Monitor / Coach / Stop Monitoring / Stop Coaching. Items
 * the rules do not allow stay visible, disabled, with the reason beside them.
 */
export function SupervisionMenuButton(props: {
  name: string;
  items: MenuItem[];
  busy: boolean;
  onAction(action: SupervisionAction): void;
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  if (props.items.length === 0) return null;
  return (
    <div className="menu-wrap" ref={ref}>
      <button
        type="button"
        className="menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={id}
        aria-label={`Supervise ${props.name}`}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
      >
        ⋮
      </button>
      {open && (
        <div className="menu" role="menu" id={id} aria-label={`Supervise ${props.name}`}>
          {props.items.map((it) => (
            <button
              type="button"
              role="menuitem"
              key={it.action}
              aria-disabled={it.disabledReason !== undefined || props.busy}
              aria-describedby={it.disabledReason ? `${id}-${it.action}` : undefined}
              onClick={() => {
                if (it.disabledReason || props.busy) return;
                setOpen(false);
                props.onAction(it.action);
              }}
              onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
            >
              <span>{it.label}</span>
              {it.disabledReason && (
                <span className="reason" id={`${id}-${it.action}`}>
                  {it.disabledReason}
                </span>
              )}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
