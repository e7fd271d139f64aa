;;; azpls.el --- Azure Pipelines language server (azpls) for eglot and lsp-mode  -*- lexical-binding: t; -*-

;; Keywords: languages, tools
;; Package-Requires: ((emacs "27.1"))

;;; Commentary:

;; azpls finds the steps of an Azure Pipelines YAML file that will not work with workload
;; identity federation, shows why on hover, and offers quick fixes.  This file tells eglot
;; (and lsp-mode, if you use that instead) how to start it for `yaml-mode' and
;; `yaml-ts-mode' buffers.  azpls stays silent on YAML that is not a pipeline.
;;
;;   (add-to-list 'load-path "/path/to/azpls/editors/emacs")
;;   (require 'azpls)
;;   (add-hook 'yaml-mode-hook #'eglot-ensure)      ; or M-x eglot in a pipeline buffer
;;
;; Customize `azpls-command' when azpls is not on `exec-path', and `azpls-settings' to
;; choose the dated table.  `M-x azpls-expand' shows the pipeline the service will run
;; (templates inlined, template expressions evaluated) in a read-only buffer beside the
;; source.  See README.md beside this file.

;;; Code:

(defgroup azpls nil
  "Azure Pipelines language server."
  :group 'tools
  :prefix "azpls-")

(defcustom azpls-command '("azpls" "server")
  "Program and arguments that start the azpls language server."
  :type '(repeat string))

(defcustom azpls-settings nil
  "Settings for azpls, as a plist that eglot and lsp-mode encode as JSON.
Sent as the LSP initializationOptions, so the first diagnostics
already use them.  Either bare or under `:azpls', for example
  (:azpls (:wif (:table \"2024-02-08\")))
nil sends none, and the server reads azpls.toml at the project root."
  :type 'sexp)

(defcustom azpls-major-modes '(yaml-mode yaml-ts-mode)
  "Major modes whose buffers azpls serves."
  :type '(repeat symbol))

(defun azpls-eglot-contact (&optional _interactive)
  "The eglot contact for azpls, read at each connection so customizations apply."
  (append azpls-command
          (when azpls-settings
            (list :initializationOptions azpls-settings))))

;; eglot runs one server per major mode: this entry goes first in
;; `eglot-server-programs', ahead of eglot's own yaml-language-server entry.
(defvar eglot-server-programs)
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               (cons azpls-major-modes #'azpls-eglot-contact)))

;; lsp-mode runs several servers on a buffer: register azpls as an add-on, so it runs
;; next to yaml-language-server (or whichever YAML server lsp-mode picks).
(declare-function lsp-register-client "lsp-mode")
(declare-function make-lsp-client "lsp-mode")
(declare-function lsp-stdio-connection "lsp-mode")
(declare-function lsp-activate-on "lsp-mode")
(with-eval-after-load 'lsp-mode
  (lsp-register-client
   (make-lsp-client
    :new-connection (lsp-stdio-connection (lambda () azpls-command))
    :activation-fn (lambda (&rest _) (apply #'derived-mode-p azpls-major-modes))
    :initialization-options (lambda () azpls-settings)
    :add-on? t
    :server-id 'azpls)))

;;;; The expanded pipeline

(defconst azpls--expand-command "azpls.expand"
  "The server's command that returns the expanded pipeline of an open document.")

(defvar-local azpls--expanded-source nil
  "In a buffer of `azpls-expand', the buffer of the pipeline it shows expanded.")

(defvar azpls-expanded-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "g" #'azpls-expand)
    (define-key map "q" #'quit-window)
    map)
  "Keys of `azpls-expanded-mode'.")

(define-minor-mode azpls-expanded-mode
  "Minor mode of the read-only buffers that `azpls-expand' fills.
\\<azpls-expanded-mode-map>\\[azpls-expand] expands the source again, \\[quit-window] closes
the window."
  :lighter " Expanded")

(declare-function eglot-current-server "eglot")
(declare-function eglot--capabilities "eglot")
(declare-function eglot--TextDocumentIdentifier "eglot")
(declare-function eglot--signal-textDocument/didChange "eglot")
(declare-function jsonrpc-request "jsonrpc")
(declare-function lsp-find-workspace "lsp-mode")
(declare-function lsp-request "lsp-mode")
(declare-function lsp--buffer-uri "lsp-mode")
(declare-function treesit-ready-p "treesit")
(defvar lsp--cur-workspace)

(defun azpls--expand-request ()
  "Ask the azpls server of this buffer for its expanded pipeline; return the text."
  (let ((params (lambda (uri) (list :command azpls--expand-command :arguments (vector uri))))
        (lsp-workspace (and (bound-and-true-p lsp-mode)
                            (fboundp 'lsp-find-workspace)
                            (lsp-find-workspace 'azpls buffer-file-name))))
    (cond
     ((and (fboundp 'eglot-current-server) (eglot-current-server))
      (let ((server (eglot-current-server)))
        ;; eglot runs one server per major mode, maybe yaml-language-server.
        (unless (member azpls--expand-command
                        (append (plist-get (plist-get (eglot--capabilities server)
                                                      :executeCommandProvider)
                                           :commands)
                                nil))
          (user-error "azpls: the language server eglot runs here is not azpls"))
        ;; eglot sends the buffer's changes from an idle timer: send any pending ones first.
        (eglot--signal-textDocument/didChange)
        (condition-case err
            (jsonrpc-request server :workspace/executeCommand
                             (funcall params (plist-get (eglot--TextDocumentIdentifier) :uri)))
          (jsonrpc-error
           (user-error "azpls: the server could not expand this pipeline: %s"
                       (or (alist-get 'jsonrpc-error-message (cddr err))
                           (error-message-string err)))))))
     (lsp-workspace
      ;; lsp-mode runs azpls next to other servers: ask azpls alone, as `with-lsp-workspace' does.
      (condition-case err
          (let ((lsp--cur-workspace lsp-workspace))
            (lsp-request "workspace/executeCommand" (funcall params (lsp--buffer-uri))))
        (error (user-error "azpls: the server could not expand this pipeline: %s"
                           (error-message-string err)))))
     (t
      (user-error "azpls: no azpls language server manages this buffer; start one with M-x eglot")))))

(defun azpls--expanded-major-mode ()
  "Turn on `yaml-mode', else `yaml-ts-mode' if usable, else `fundamental-mode'."
  (cond ((fboundp 'yaml-mode) (yaml-mode))
        ((and (fboundp 'yaml-ts-mode) (fboundp 'treesit-ready-p) (treesit-ready-p 'yaml t))
         (yaml-ts-mode))
        (t (fundamental-mode))))

;;;###autoload
(defun azpls-expand ()
  "Show the pipeline the service will run, as azpls expands the current buffer.
Templates are inlined and template expressions evaluated; comments name the
source file and line of each item.  The text goes to a read-only buffer
\"*azpls expanded: NAME*\", shown in a window to the right, and the selected
window stays where it is.  Run again, from the source or from that buffer
\(\\<azpls-expanded-mode-map>\\[azpls-expand] there), it refreshes the same buffer.
Needs azpls running for the buffer, through eglot or lsp-mode."
  (interactive)
  (let* ((source (or (and (buffer-live-p azpls--expanded-source) azpls--expanded-source)
                     (current-buffer)))
         (text (with-current-buffer source
                 (unless buffer-file-name
                   (user-error "azpls: %s visits no file, which azpls needs" (buffer-name)))
                 (azpls--expand-request))))
    (unless (stringp text)
      (user-error "azpls: the server answered without the expanded text"))
    (let ((buffer (get-buffer-create (format "*azpls expanded: %s*" (buffer-name source))))
          (inhibit-read-only t))
      (with-current-buffer buffer
        (unless azpls-expanded-mode
          (azpls--expanded-major-mode)
          (azpls-expanded-mode 1))
        ;; Set after the major mode, which would reset them.
        (setq azpls--expanded-source source
              buffer-read-only t)
        ;; Replacing only what changed keeps point and the window's place on a refresh (after
        ;; half a second of comparing, it replaces everything instead).
        (let ((new (generate-new-buffer " *azpls expanded text*")))
          (unwind-protect
              (progn (with-current-buffer new (insert text))
                     (replace-buffer-contents new 0.5))
            (kill-buffer new)))
        (set-buffer-modified-p nil))
      ;; Shown already (maybe in the selected window, when run from it): refreshed in place.
      (unless (get-buffer-window buffer)
        (display-buffer buffer '(display-buffer-in-direction
                                 (direction . right)
                                 (inhibit-same-window . t))))
      buffer)))

(provide 'azpls)
;;; azpls.el ends here
