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
;; choose the dated table.  See README.md beside this file.

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

(provide 'azpls)
;;; azpls.el ends here
