import CNCurses

/// A key press as the scope's controls understand it.
public enum Key: Hashable, Sendable {
    /// Printable keys including space, digits and punctuation; other control characters
    /// (Ctrl-L is "\u{0C}") also arrive here.
    case character(Character)
    case enter, escape, backspace, tab
    case up, down, left, right, pageUp, pageDown, home, end
    /// The terminal changed size; `CursesTerminal.width`/`height` already hold the new size.
    case resize
}

extension Key {
    /// A character read by `wget_wch` (it returned OK).
    static func fromCharacter(_ code: UInt32) -> Key? {
        switch code {
        case 10, 13: return .enter // nonl() leaves Enter as CR; '\n' still comes from some keyboards/pastes
        case 27: return .escape
        case 8, 127: return .backspace // terminals disagree on which one the key sends
        case 9: return .tab
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// A function key code read by `wget_wch` (it returned KEY_CODE_YES).
    static func fromKeyCode(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter // the keypad's Enter
        case KEY_BACKSPACE: return .backspace
        case KEY_RESIZE: return .resize
        default: return nil // other function keys and mouse events are not controls of the scope
        }
    }
}
