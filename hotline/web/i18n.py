"""Labels in English and Spanish for the pages advocates use during a call.

Templates write `t("English label")`; with Spanish chosen (`?lang=es`, kept in a cookie) the label comes
from SPANISH. `tests/test_web_pages.py` checks that every label the templates use has a Spanish entry.
Supervisor and admin pages are in English for now.
"""

from __future__ import annotations

LANGUAGES = ("en", "es")
LANGUAGE_COOKIE = "hotline_lang"

SPANISH: dict[str, str] = {
    # Layout and navigation
    "Skip to main content": "Saltar al contenido principal",
    "Hotline": "Línea de ayuda",
    "Main": "Principal",
    "New tip": "Nuevo reporte",
    "Cases": "Casos",
    "Audit log": "Registro de auditoría",
    "Reports": "Informes",
    "Users": "Usuarios",
    "Signed in as": "Sesión de",
    "Sign out": "Cerrar sesión",
    "Language": "Idioma",
    "English": "Inglés",
    "Spanish": "Español",
    "Change password": "Cambiar contraseña",
    # Sign-in
    "Sign in": "Iniciar sesión",
    "Username": "Usuario",
    "Password": "Contraseña",
    "You have signed out.": "Ha cerrado la sesión.",
    "Sign in to continue.": "Inicie sesión para continuar.",
    "The username or password is not right.": "El usuario o la contraseña no son correctos.",
    "Too many failed sign-ins: this account is locked for a while. Try again later or ask an administrator to unlock it.": (
        "Demasiados intentos fallidos: esta cuenta está bloqueada por un tiempo. Inténtelo más tarde o pida a "
        "un administrador que la desbloquee."
    ),
    # Tip form
    "Enter a tip": "Registrar un reporte",
    "Partial information is fine: fill in what the caller knows.": (
        "La información parcial sirve: anote lo que sepa quien llama."
    ),
    "Keyboard: Tab moves between fields, Ctrl+Enter submits, Alt+Shift+P adds a person.": (
        "Teclado: Tab pasa de un campo a otro, Ctrl+Enter envía, Alt+Shift+P agrega una persona."
    ),
    "Please correct the marked fields.": "Corrija los campos marcados.",
    "What happened": "Qué pasó",
    "Narrative": "Relato",
    "In the caller's words: who, what, where, when.": "En palabras de quien llama: quién, qué, dónde, cuándo.",
    "Channel": "Canal",
    "Phone": "Teléfono",
    "SMS": "SMS",
    "Web": "Web",
    "Email": "Correo electrónico",
    "Language of the report": "Idioma del reporte",
    "Other": "Otro",
    "Call reference": "Referencia de la llamada",
    "Optional: the call's id in the hotline's own system.": "Opcional: el número de la llamada en el sistema de la línea.",
    "Type of trafficking": "Tipo de trata",
    "Sex": "Sexual",
    "Labor": "Laboral",
    "Both": "Ambos",
    "Unknown": "Desconocido",
    "Immediate danger?": "¿Peligro inmediato?",
    "Consent to a police report?": "¿Consiente un reporte a la policía?",
    "Asked of an adult victim.": "Se pregunta a la víctima adulta.",
    "Not known": "No se sabe",
    "Yes": "Sí",
    "No": "No",
    "Where": "Dónde",
    "Address": "Dirección",
    "City": "Ciudad",
    "County": "Condado",
    "State": "Estado",
    "ZIP code": "Código postal",
    "Country": "País",
    "Reporter": "Quien reporta",
    "Name": "Nombre",
    "Relationship": "Relación",
    "Anonymous": "Anónimo",
    "The reporter does not want to be named.": "Quien reporta no quiere ser identificado.",
    "People": "Personas",
    "Person": "Persona",
    "Role": "Papel",
    "Victim": "Víctima",
    "Suspect": "Sospechoso",
    "Aliases": "Alias",
    "Separate with commas.": "Separe con comas.",
    "Age": "Edad",
    "Youngest age": "Edad mínima",
    "Oldest age": "Edad máxima",
    "Date of birth": "Fecha de nacimiento",
    "Gender": "Género",
    "Nationality": "Nacionalidad",
    "Add person": "Agregar persona",
    "Remove this person": "Quitar a esta persona",
    "Submit tip": "Enviar reporte",
    # Triage result and tip view
    "Tip": "Reporte",
    "Tip stored and triaged.": "Reporte guardado y clasificado.",
    "Tip stored; triage has not finished yet. Reload in a moment.": (
        "Reporte guardado; la clasificación aún no termina. Vuelva a cargar en un momento."
    ),
    "Triage result": "Resultado de la clasificación",
    "Case": "Caso",
    "New case": "Caso nuevo",
    "Linked to an existing case": "Vinculado a un caso existente",
    "Needs review: may belong to an existing case": "Requiere revisión: puede pertenecer a un caso existente",
    "Matched fields": "Campos coincidentes",
    "Score": "Puntaje",
    "Minor": "Menor de edad",
    "confirmed": "confirmado",
    "likely": "probable",
    "unknown": "desconocido",
    "adult": "adulto",
    "Youngest known age": "Menor edad conocida",
    "Evidence": "Evidencia",
    "Urgency": "Urgencia",
    "emergency": "emergencia",
    "high": "alta",
    "normal": "normal",
    "Jurisdiction": "Jurisdicción",
    "Routing": "Derivación",
    "Routed to": "Derivado a",
    "Agency": "Agencia",
    "Rule": "Regla",
    "Priority": "Prioridad",
    "Response time": "Tiempo de respuesta",
    "Reason": "Motivo",
    "minutes": "minutos",
    "Ruleset": "Reglas",
    "Not routed yet.": "Aún no se ha derivado.",
    "Details": "Detalles",
    "Received": "Recibido",
    "Entered by": "Registrado por",
    "Reference": "Referencia",
    "Status": "Estado",
    "none given": "no se indicó",
    "Highlighted text is evidence.": "El texto resaltado es evidencia.",
    "Enter another tip": "Registrar otro reporte",
    "Open the case": "Abrir el caso",
    # Cases
    "Search and filter": "Buscar y filtrar",
    "Search": "Buscar",
    "Case id, reference, name or phone": "Id del caso, referencia, nombre o teléfono",
    "Any": "Cualquiera",
    "open": "abierto",
    "closed": "cerrado",
    "merged": "fusionado",
    "Created from": "Creado desde",
    "Created until": "Creado hasta",
    "Apply": "Aplicar",
    "Clear": "Limpiar",
    "No cases match.": "Ningún caso coincide.",
    "Created": "Creado",
    "Updated": "Actualizado",
    "Tips": "Reportes",
    "Next page": "Página siguiente",
    "Who viewed this case": "Quién vio este caso",
    "Audit trail": "Historial de auditoría",
    "Merged into": "Fusionado en",
    "Routing targets": "Agencias de destino",
    "Some filters were not understood and were ignored:": "Algunos filtros no se entendieron y se ignoraron:",
    # Errors
    "Page not found": "Página no encontrada",
    "Not allowed": "No permitido",
    "Something went wrong": "Algo salió mal",
    "Back to the start": "Volver al inicio",
}


def translate(text: str, language: str) -> str:
    if language == "es":
        return SPANISH.get(text, text)
    return text
