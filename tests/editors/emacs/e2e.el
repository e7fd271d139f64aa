;;; e2e.el --- end-to-end test of azpls in Emacs + eglot  -*- lexical-binding: t; -*-
;;
;; emacs --batch -l e2e.el azure-pipelines.yml   (run.sh sets the environment)
;;
;; Loads the shipped editors/emacs/azpls.el, opens the pipeline, starts eglot the way
;; M-x eglot does, then uses eglot's own entry points: flymake for diagnostics, eglot's
;; hover documentation function, `eglot-code-actions' for the quick fix, `save-buffer'; and
;; M-x azpls-expand before and after the fix.
;; Appends one line per check to $E2E_REPORT; exits 0 when all passed, 1 otherwise.

(require 'package)
(package-initialize)                    ; activates Debian's elpa-* packages
(add-to-list 'load-path (getenv "AZPLS_EMACS_CONFIG"))
(require 'azpls)
(require 'yaml-mode)
(require 'eglot)

(setq azpls-command (list (getenv "AZPLS_BINARY") "server")
      eglot-sync-connect t
      make-backup-files nil)

(defun e2e-say (fmt &rest args)
  (write-region (concat (apply #'format fmt args) "\n") nil (getenv "E2E_REPORT") t 'quiet))

(defun e2e-wait (secs what pred)
  "Run the event loop until PRED is non-nil, at most SECS seconds; fail naming WHAT."
  (let ((deadline (+ (float-time) secs)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (or (funcall pred) (error "Timed out after %s s waiting for %s" secs what))))

(defun e2e-diagnostics ()
  "Flymake's diagnostics by LSP code: an alist (CODE . DIAGNOSTIC)."
  ;; flymake asks its backends only when it starts a check; eglot's backend then reports
  ;; what the server last published.
  (flymake-start)
  (let (found)
    (dolist (d (flymake-diagnostics) found)
      (let* ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d))))
             (code (plist-get lsp :code)))
        (when code (push (cons code d) found))))))

(defconst e2e-expanded "*azpls expanded: azure-pipelines.yml*")

(defun e2e-expand (how task)
  "Run `azpls-expand' HOW (a function that runs it) and check what it shows.
The buffer `e2e-expanded' must show TASK as the first step and the template's step
inlined, in a window right of the selected one, which stays selected; it must refuse
edits and have no language server.  Returns its window."
  (unless (commandp 'azpls-expand)
    (error "There is no command azpls-expand (editors/emacs/azpls.el)"))
  (let ((selected (selected-window))
        (started (float-time)))
    (funcall how)
    (let* ((ms (* 1000 (- (float-time) started)))
           (buffer (or (get-buffer e2e-expanded) (error "No buffer %s" e2e-expanded)))
           (window (or (get-buffer-window buffer) (error "%s is not shown" e2e-expanded)))
           (text (with-current-buffer buffer (buffer-string)))
           (step (format "task: %s  # azure-pipelines.yml:11" task))
           (inlined "- script: curl --fail --silent https://example.org/site  # steps/smoke-test.yml:8"))
      (dolist (want (list step inlined))
        (unless (string-match-p (regexp-quote want) text)
          (error "The expanded pipeline lacks %S:\n%s" want text)))
      (when (string-match-p (regexp-quote "${{") text)
        (error "The expanded pipeline still has a template expression:\n%s" text))
      (unless (eq (selected-window) selected)
        (error "azpls-expand selected another window"))
      (let ((here (window-edges selected)) (there (window-edges window)))
        (unless (and (= (nth 1 here) (nth 1 there)) (> (nth 0 there) (nth 0 here)))
          (error "The expanded window %S is not right of the source's %S" there here)))
      (with-current-buffer buffer
        (unless (and buffer-read-only (derived-mode-p 'yaml-mode))
          (error "The expanded buffer: read-only %s, mode %s" buffer-read-only major-mode))
        ;; Typing, as a user would, and inserting from Lisp: both refused.
        (dolist (edit (list (lambda () (let ((last-command-event ?x))
                                         (call-interactively #'self-insert-command)))
                            (lambda () (insert "edited"))))
          (when (condition-case nil (progn (funcall edit) t) (buffer-read-only nil))
            (error "The expanded buffer took an edit")))
        (unless (equal (buffer-string) text) (error "The expanded buffer changed"))
        (when (bound-and-true-p eglot--managed-mode)
          (error "eglot manages the expanded buffer")))
      (e2e-say "ok: azpls-expand shows %s beside the source in %.0f ms, read-only (%d lines, the template's step inlined)"
               task ms (length (split-string text "\n" t)))
      window)))

(condition-case err
    (let ((file (car command-line-args-left)))
      (find-file file)
      (e2e-say "ok: %s, eglot %s, %s" (car (split-string (emacs-version) "\n"))
               (or (ignore-errors (package-version-join (package-desc-version (cadr (assq (quote eglot) package-alist))))) "?")
               major-mode)
      ;; What M-x eglot runs; `eglot-ensure' waits for a command loop that --batch lacks.
      (let ((contact (eglot--guess-contact)))
        (unless (equal (car (nth 3 contact)) (getenv "AZPLS_BINARY"))
          (error "eglot would start %S, not azpls" (nth 3 contact)))
        (apply #'eglot contact))
      (let ((server (eglot-current-server)))
        (unless server (error "eglot did not connect"))
        (e2e-say "ok: eglot connected to %s"
                 (plist-get (eglot--server-info server) :name)))

      (e2e-wait 10 "diagnostics wif-deprecated-version and wif-unsupported-task"
                (lambda () (let ((c (e2e-diagnostics)))
                             (and (assoc "wif-deprecated-version" c)
                                  (assoc "wif-unsupported-task" c)))))
      (let ((c (e2e-diagnostics)))
        (dolist (code '("wif-deprecated-version" "wif-unsupported-task"))
          (let ((d (cdr (assoc code c))))
            (e2e-say "ok: diagnostic %s at line %d: %s" code
                     (line-number-at-pos (flymake-diagnostic-beg d))
                     (flymake-diagnostic-text d)))))

      ;; Without an azpls server for the buffer there is nothing to ask: an error.
      (let ((said (with-current-buffer (find-file-noselect "notes.txt")
                    (condition-case e (progn (azpls-expand) nil)
                      (user-error (error-message-string e))))))
        (unless (and said (string-match-p "no azpls language server" said))
          (error "azpls-expand without azpls did not say so: %S" said))
        (e2e-say "ok: without azpls, azpls-expand says: %s" said))

      (let* ((window (e2e-expand (lambda () (call-interactively #'azpls-expand)) "AzureFileCopy@4"))
             (buffer (window-buffer window))
             (windows (length (window-list))))

      (goto-char (point-min))
      (search-forward "AzureFileCopy@4")
      (goto-char (match-beginning 0))
      (let ((line (line-number-at-pos))
            (before (buffer-substring-no-properties (line-beginning-position) (line-end-position)))
            hover)
        ;; Hover through eglot's eldoc function, as eldoc calls it.
        (eglot-hover-eldoc-function (lambda (doc &rest _) (setq hover (or doc ""))))
        (e2e-wait 5 "the hover" (lambda () hover))
        (unless (string-match-p (regexp-quote "AzureFileCopy@6") hover)
          (error "Hover on AzureFileCopy@4 does not mention AzureFileCopy@6: %S" hover))
        (e2e-say "ok: hover on AzureFileCopy@4 mentions AzureFileCopy@6 (%d lines)"
                 (length (split-string hover "\n")))

        ;; C-u M-x eglot-code-actions RET quickfix, at point. With one quick fix eglot applies
        ;; it without asking. (eglot 1.9's `eglot-code-action-quickfix' only lists actions.)
        (eglot-code-actions (point) nil "quickfix" t)
        (let ((after (buffer-substring-no-properties
                      (save-excursion (goto-char (point-min)) (forward-line (1- line)) (point))
                      (save-excursion (goto-char (point-min)) (forward-line (1- line)) (line-end-position)))))
          (when (equal after before) (error "The quick fix did not change line %d" line))
          (e2e-say "ok: line %d after the quick fix: %s" line after)))

      ;; eglot sends didChange from an idle timer, which never fires in --batch.
      (eglot--signal-textDocument/didChange)
      (e2e-wait 10 "wif-deprecated-version to clear after the fix"
                (lambda () (not (assoc "wif-deprecated-version" (e2e-diagnostics)))))
      (unless (assoc "wif-unsupported-task" (e2e-diagnostics))
        (error "wif-unsupported-task vanished after the fix"))
      (e2e-say "ok: after the edit the server dropped wif-deprecated-version and kept wif-unsupported-task")

        ;; Again, on the edited (unsaved) text: from the source, then with g in the expanded
        ;; buffer. The same buffer in the same window, refreshed.
        (dolist (how (list (lambda () (call-interactively #'azpls-expand))
                           (lambda () (with-selected-window window (execute-kbd-macro "g")))))
          (let ((again (e2e-expand how "AzureFileCopy@6")))
            (unless (and (eq again window) (eq (window-buffer again) buffer)
                         (= (length (window-list)) windows))
              (error "azpls-expand again opened another window or buffer"))))
        (e2e-say "ok: azpls-expand again, and g in its buffer, refreshed the same buffer in the same window"))

      (save-buffer)
      (e2e-say "ok: saved %s" (buffer-file-name))
      (ignore-errors (eglot-shutdown (eglot-current-server)))
      (kill-emacs 0))
  (error
   (e2e-say "FAIL: %s" (error-message-string err))
   (kill-emacs 1)))
